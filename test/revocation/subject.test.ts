import type { webcrypto } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GeneralName as AsnGeneralName,
  DistributionPoint,
  DistributionPointName,
  Reason,
  ReasonFlags,
} from "@peculiar/asn1-x509";
import {
  AuthorityInfoAccessExtension,
  BasicConstraintsExtension,
  CRLDistributionPointsExtension,
  type Extension,
  GeneralName,
  type X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/demo/certificate_factory.js";
import type { RevocationSubject } from "../../src/revocation/revocation.js";
import { normaliseSerialHex, prepareChainSubject, prepareSubject } from "../../src/revocation/subject.js";
import { openssl } from "../support/openssl_ca.js";

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

let dir: string;
let caKeys: webcrypto.CryptoKeyPair;
let ca: X509Certificate;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "revocation-subject-"));
  caKeys = await crypto.subtle.generateKey(EC, false, ["sign", "verify"]);
  ca = await X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "C=FR, O=Test QTSP, CN=Subject Test CA",
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys: caKeys,
    signingAlgorithm: EC,
    extensions: [new BasicConstraintsExtension(true, undefined, true)],
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function leafWith(serialNumber: string, extensions: Extension[]): Promise<X509Certificate> {
  const keys = await crypto.subtle.generateKey(EC, false, ["sign", "verify"]);
  return X509CertificateGenerator.create({
    serialNumber,
    subject: "CN=leaf",
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC,
    extensions,
  });
}

function prepared(leaf: X509Certificate): RevocationSubject {
  const subject = prepareSubject(leaf, ca);
  if (!subject.ok) throw new Error(subject.error.detail);
  return subject.value;
}

describe("prepareSubject", () => {
  it("computes the same CertID hashes and serial as openssl ocsp", async () => {
    const leaf = await leafWith("00c3a1f09e", []);
    await writeFile(join(dir, "ca.pem"), ca.toString("pem"));
    await writeFile(join(dir, "leaf.pem"), leaf.toString("pem"));
    await openssl(
      ["ocsp", "-issuer", "ca.pem", "-sha256", "-cert", "leaf.pem", "-no_nonce", "-reqout", "req.der"],
      dir,
    );
    const request = pkijs.OCSPRequest.fromBER(await readFile(join(dir, "req.der")));
    const certId = request.tbsRequest.requestList[0]?.reqCert;
    const subject = prepared(leaf);
    expect(Buffer.from(certId?.issuerNameHash.valueBlock.valueHexView ?? [])).toEqual(
      Buffer.from(subject.certId.sha256.issuerNameHash),
    );
    expect(Buffer.from(certId?.issuerKeyHash.valueBlock.valueHexView ?? [])).toEqual(
      Buffer.from(subject.certId.sha256.issuerKeyHash),
    );
    expect(Buffer.from(certId?.serialNumber.valueBlock.valueHexView ?? []).toString("hex")).toBe(
      "00c3a1f09e",
    );
    expect(subject.serialHex).toBe("c3a1f09e");
  });

  it("keys the cache by issuer key hash and serial, the same for every preparation of one certificate", async () => {
    const leaf = await leafWith("0abc", []);
    const other = await leafWith("0abd", []);
    expect(prepared(leaf).key).toBe(prepared(leaf).key);
    expect(prepared(leaf).key).not.toBe(prepared(other).key);
    expect(prepared(leaf).key).toMatch(/^[0-9a-f]{64}:[0-9a-f]{64}:abc$/);
  });

  it("takes http OCSP URLs from the AIA and skips other schemes", async () => {
    const aia = new AuthorityInfoAccessExtension({
      ocsp: [
        new GeneralName("url", "ldap://directory.example/ocsp"),
        new GeneralName("url", "http://ocsp.example/"),
      ],
    });
    expect(prepared(await leafWith("01", [aia])).ocspUrls).toEqual(["http://ocsp.example/"]);
  });

  it("takes CRL URLs only from distribution points that cover every reason", async () => {
    const partitioned = new DistributionPoint({
      distributionPoint: new DistributionPointName({
        fullName: [
          new AsnGeneralName({ uniformResourceIdentifier: "http://crl.example/key-compromise.crl" }),
        ],
      }),
      reasons: new Reason(ReasonFlags.keyCompromise),
    });
    const complete = new DistributionPoint({
      distributionPoint: new DistributionPointName({
        fullName: [new AsnGeneralName({ uniformResourceIdentifier: "http://crl.example/full.crl" })],
      }),
    });
    const cdp = new CRLDistributionPointsExtension([partitioned, complete]);
    expect(prepared(await leafWith("02", [cdp])).crlUrls).toEqual(["http://crl.example/full.crl"]);
  });

  it("selects issuer configuration by the issuer's SHA-256 fingerprint and printed subject", async () => {
    const subject = prepared(await leafWith("03", []));
    const fingerprint = Buffer.from(await ca.getThumbprint("SHA-256")).toString("hex");
    expect(subject.issuerFingerprint).toBe(fingerprint);
    expect(subject.issuerSubject).toBe("C=FR, O=Test QTSP, CN=Subject Test CA");
  });
});

describe("normaliseSerialHex", () => {
  it.each([
    ["00ff", "ff"],
    ["FF", "ff"],
    ["0000", "0"],
    ["7e57", "7e57"],
  ])("%s -> %s", (input, expected) => {
    expect(normaliseSerialHex(input)).toBe(expected);
  });
});

describe("prepareChainSubject: the CAs on the path to check along with the leaf", () => {
  const ROOT_CRL = "http://127.0.0.1:9/root.crl";

  async function hierarchy(caCrl: string | undefined) {
    // The root names a CRL too: it is the anchor, so it is never asked about.
    const root = await issueCertificate({
      subject: "CN=Chain Root, O=Test QTSP, C=FR",
      isCa: true,
      crlDistributionPointUrl: "http://127.0.0.1:9/self.crl",
    });
    const issuing = await issueCertificate({
      subject: "CN=Chain Issuing CA, O=Test QTSP, C=FR",
      issuer: root,
      isCa: true,
      pathLen: 0,
      ...(caCrl === undefined ? {} : { crlDistributionPointUrl: caCrl }),
    });
    const leaf = (cn: string) =>
      issueCertificate({
        subject: `CN=${cn}, O=TPP, C=FR`,
        issuer: issuing,
        aiaOcspUrl: "http://127.0.0.1:9/ocsp",
      });
    return {
      root: root.cert,
      issuing: issuing.cert,
      leaves: [(await leaf("one")).cert, (await leaf("two")).cert],
    };
  }

  it("adds the issuing CA (not the anchor), keyed by its own CertID and shared by its leaves", async () => {
    const { root, issuing, leaves } = await hierarchy(ROOT_CRL);
    const [first, second] = leaves.map((leaf) => prepareChainSubject([leaf, issuing, root]));
    if (!first?.ok || !second?.ok) throw new Error("not prepared");
    const ca = first.value.cas?.[0];
    expect(first.value.cas).toHaveLength(1);
    expect(ca).toMatchObject({ ca: issuing.subject, crlUrls: [ROOT_CRL], issuerSubject: root.subject });
    // basicConstraints cA selects which CRLs may answer (RFC 5280 6.3.3 (b)(2)(ii)-(iii)).
    expect(ca?.isCa).toBe(true);
    expect(first.value.isCa).toBe(false);
    expect(ca?.serialHex).toBe(normaliseSerialHex(issuing.serialNumber));
    expect(second.value.cas?.[0]).toBe(ca);
    expect(first.value.key).not.toBe(ca?.key);
  });

  it("leaves out a CA that names no OCSP responder and no CRL", async () => {
    const { root, issuing, leaves } = await hierarchy(undefined);
    const subject = prepareChainSubject([leaves[0]!, issuing, root]);
    expect(subject.ok && subject.value.cas).toBeUndefined();
    const direct = prepareChainSubject([issuing, root]);
    expect(direct.ok && direct.value.cas).toBeUndefined();
  });
});
