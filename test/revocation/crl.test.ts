import { readFile } from "node:fs/promises";
import { AsnConvert } from "@peculiar/asn1-schema";
import { DistributionPointName, GeneralName, IssuingDistributionPoint } from "@peculiar/asn1-x509";
import { Extension, type X509Certificate, X509CrlGenerator } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/demo/certificate_factory.js";
import { coversCertificate, lookupSerial, type VerifiedCrl, verifyCrl } from "../../src/revocation/crl.js";
import type { RevocationFailureCode } from "../../src/revocation/failure.js";
import { labCrl, PATH, type RevocationLab, scopedTo, startRevocationLab } from "./lab.js";

let lab: RevocationLab;

beforeAll(async () => {
  lab = await startRevocationLab();
});

afterAll(async () => {
  await lab?.close();
});

const HOUR = 3_600_000;

function verify(bytes: Uint8Array, options: { now?: Date; issuer?: X509Certificate } = {}) {
  return verifyCrl(bytes, {
    issuer: options.issuer ?? lab.ca.cert.cert,
    now: options.now ?? new Date(),
    clockSkewMs: 120_000,
  });
}

async function expectCrl(promise: ReturnType<typeof verifyCrl>): Promise<VerifiedCrl> {
  const outcome = await promise;
  if (!outcome.ok) throw new Error(`expected a CRL, got ${outcome.error.code}: ${outcome.error.detail}`);
  return outcome.value;
}

async function expectFailure(promise: ReturnType<typeof verifyCrl>, code: RevocationFailureCode) {
  const outcome = await promise;
  expect(outcome.ok ? "crl" : outcome.error.code).toBe(code);
}

const crlWithExtensions = (extensions: Extension[]) => labCrl(lab, { extensions });

describe("a CRL signed by the issuer", () => {
  it("lists a revoked serial with its time and reason", async () => {
    const crl = await expectCrl(verify(lab.crl));
    const entry = lookupSerial(crl, lab.subject(lab.certs.crlOnlyRevoked).serialHex);
    expect(entry?.reason).toBe("superseded");
    expect(entry?.revokedAt).toBeInstanceOf(Date);
    expect(lookupSerial(crl, lab.subject(lab.certs.revokedKeyCompromise).serialHex)?.reason).toBe(
      "keyCompromise",
    );
    expect(lookupSerial(crl, lab.subject(lab.certs.onHold).serialHex)?.reason).toBe("certificateHold");
  });

  it("does not list a valid certificate", async () => {
    const crl = await expectCrl(verify(lab.crl));
    expect(lookupSerial(crl, lab.subject(lab.certs.crlOnlyGood).serialHex)).toBeUndefined();
  });

  it("is accepted in PEM as well as DER", async () => {
    const pem = `-----BEGIN X509 CRL-----\n${Buffer.from(lab.crl).toString("base64")}\n-----END X509 CRL-----\n`;
    const crl = await expectCrl(verify(new TextEncoder().encode(pem)));
    expect(crl.revoked.size).toBe(4);
  });

  it("answers for a certificate whose distribution point its issuingDistributionPoint names", async () => {
    const crl = await expectCrl(verify(await crlWithExtensions([scopedTo(lab.server.url(PATH.crl))])));
    expect(crl.scope).toEqual([lab.server.url(PATH.crl)]);
    expect(
      coversCertificate(crl, { distributionPoints: lab.subject(lab.certs.crlOnlyGood).crlUrls, isCa: false })
        .ok,
    ).toBe(true);
  });

  it("answers for every certificate of the issuer without an issuingDistributionPoint", async () => {
    const crl = await expectCrl(verify(lab.crl));
    expect(coversCertificate(crl, { distributionPoints: [], isCa: false }).ok).toBe(true);
  });
});

describe("a CRL that is not an answer", () => {
  it("refuses a CRL altered after signing to drop a revoked serial", async () => {
    const serial = Buffer.from(lab.subject(lab.certs.crlOnlyRevoked).serial);
    const tampered = Buffer.from(lab.crl);
    const at = tampered.indexOf(serial);
    expect(at).toBeGreaterThan(0);
    tampered[at + serial.length - 1] = (tampered[at + serial.length - 1] ?? 0) ^ 0x01;
    await expectFailure(verify(new Uint8Array(tampered)), "bad-signature");
  });

  it("refuses a CRL signed by another CA with the same name", async () => {
    await expectFailure(verify(await lab.rogueCa.crl({ hours: 24 })), "bad-signature");
  });

  it("refuses a CRL whose issuer is not the certificate's issuer", async () => {
    await expectFailure(verify(lab.crl, { issuer: lab.certs.delegatedResponder.cert }), "issuer-mismatch");
  });

  it("refuses a CRL past its nextUpdate", async () => {
    await expectFailure(verify(lab.crl, { now: new Date(Date.now() + 48 * HOUR) }), "expired");
  });

  it("refuses a CRL whose thisUpdate is in the future", async () => {
    const early = await lab.ca.crl({
      lastUpdate: new Date(Date.now() + 2 * HOUR),
      nextUpdate: new Date(Date.now() + 26 * HOUR),
    });
    await expectFailure(verify(early), "not-yet-valid");
  });

  it("refuses a delta CRL, which cannot say a certificate is not revoked", async () => {
    const deltaCrlIndicator = new Extension("2.5.29.27", true, new Uint8Array([0x02, 0x01, 0x01]));
    await expectFailure(verify(await crlWithExtensions([deltaCrlIndicator])), "unsupported");
  });

  it("does not answer for a certificate of another partition (RFC 5280 6.3.3 (b)(2)(i))", async () => {
    const crl = await expectCrl(
      verify(await crlWithExtensions([scopedTo("http://127.0.0.1:1/other-partition.crl")])),
    );
    const covers = coversCertificate(crl, {
      distributionPoints: lab.subject(lab.certs.crlOnlyGood).crlUrls,
      isCa: false,
    });
    expect(covers.ok ? "covers" : covers.error.code).toBe("unsupported");
    const noPoints = coversCertificate(crl, { distributionPoints: [], isCa: false });
    expect(noPoints.ok ? "covers" : noPoints.error.detail).toMatch(/names none/);
  });

  it("keeps a CA-only CRL's scope: it answers for a CA in the partition, never for an end entity", async () => {
    const point = lab.server.url(PATH.crl);
    const idp = new IssuingDistributionPoint({
      distributionPoint: new DistributionPointName({
        fullName: [new GeneralName({ uniformResourceIdentifier: point })],
      }),
      onlyContainsCACerts: true,
    });
    const crl = await expectCrl(
      verify(await crlWithExtensions([new Extension("2.5.29.28", true, AsnConvert.serialize(idp))])),
    );
    expect(crl.certificates).toBe("ca");
    expect(coversCertificate(crl, { distributionPoints: [point], isCa: true }).ok).toBe(true);
    const leaf = coversCertificate(crl, { distributionPoints: [point], isCa: false });
    expect(leaf.ok ? "covers" : leaf.error.code).toBe("unsupported");
    const otherPartition = coversCertificate(crl, { distributionPoints: [], isCa: true });
    expect(otherPartition.ok ? "covers" : otherPartition.error.code).toBe("unsupported");
  });

  it("refuses an issuingDistributionPoint limited to both CA and user certificates (RFC 5280 5.2.5)", async () => {
    const idp = new IssuingDistributionPoint({ onlyContainsCACerts: true, onlyContainsUserCerts: true });
    const extension = new Extension("2.5.29.28", true, AsnConvert.serialize(idp));
    await expectFailure(verify(await crlWithExtensions([extension])), "malformed");
  });

  it("refuses bytes that are not a CRL", async () => {
    await expectFailure(verify(await readFileBytes(lab.ca.cert.certPath)), "malformed");
  });
});

async function readFileBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

describe("the CRL issuer's key usage", () => {
  it("refuses a CRL from a CA whose keyUsage lacks cRLSign (RFC 5280 6.3.3 f), and accepts one with it", async () => {
    const crlOf = async (keyUsage: ("keyCertSign" | "cRLSign")[]) => {
      const ca = await issueCertificate({ subject: "CN=Usage CA, O=QTSP, C=FR", isCa: true, keyUsage });
      const crl = await X509CrlGenerator.create({
        issuer: ca.cert.subject,
        thisUpdate: new Date(Date.now() - 60_000),
        nextUpdate: new Date(Date.now() + 3_600_000),
        signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
        signingKey: ca.keys.privateKey,
      });
      const options = { issuer: ca.cert, url: "http://127.0.0.1/crl", now: new Date(), clockSkewMs: 120_000 };
      return verifyCrl(new Uint8Array(crl.rawData), options);
    };
    const without = await crlOf(["keyCertSign"]);
    expect(without.ok ? "answer" : without.error.code).toBe("unauthorised-signer");
    const withIt = await crlOf(["keyCertSign", "cRLSign"]);
    expect(withIt.ok).toBe(true);
  });
});
