import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsnConvert } from "@peculiar/asn1-schema";
import { QCStatements } from "@peculiar/asn1-x509-qualified";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
} from "@peculiar/x509";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildQcStatements,
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  encodePsd2Statement,
  issueCertificate,
  type KeyAlg,
  psd2Roles,
} from "../../src/demo/certificate_factory.js";
import { realPsd2Pem } from "../support/shared_fixtures.js";

const workDir = mkdtempSync(join(tmpdir(), "factory-test-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function writeTemp(name: string, content: string): string {
  const path = join(workDir, name);
  writeFileSync(path, content);
  return path;
}

function openssl(...args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8" });
}

/** The qcStatements extension value, as openssl's own ASN.1 parser lays it out. */
function opensslQcStatements(pemPath: string): string {
  const outer = openssl("asn1parse", "-in", pemPath);
  const lines = outer.split("\n");
  const oidLine = lines.findIndex((line) => line.includes(":qcStatements"));
  const valueLine = lines[oidLine + 1];
  const offset = valueLine?.split(":")[0]?.trim();
  if (oidLine < 0 || offset === undefined) {
    throw new Error(`no qcStatements extension in ${pemPath}`);
  }
  return openssl("asn1parse", "-in", pemPath, "-strparse", offset);
}

const TPP_SUBJECT = "CN=tpp.example, O=Example TPP, 2.5.4.97=PSDFR-ACPR-12345, C=FR";

describe("issueCertificate builds chains openssl verifies", () => {
  it.each<KeyAlg>(["RSA-2048", "P-256", "P-384"])(
    "verifies a %s root, intermediate and leaf",
    async (keyAlg) => {
      const root = await issueCertificate({ subject: "CN=Test Root, O=Test QTSP, C=FR", keyAlg, isCa: true });
      const ca = await issueCertificate({
        subject: "CN=Test Issuing CA, C=FR",
        keyAlg,
        isCa: true,
        pathLen: 0,
        issuer: root,
      });
      const leaf = await issueCertificate({
        subject: TPP_SUBJECT,
        keyAlg,
        issuer: ca,
        subjectAltNames: ["tpp.example"],
      });
      const rootPath = writeTemp(`root-${keyAlg}.pem`, root.pem);
      const caPath = writeTemp(`ca-${keyAlg}.pem`, ca.pem);
      const leafPath = writeTemp(`leaf-${keyAlg}.pem`, leaf.pem);
      const out = openssl(
        "verify",
        "-CAfile",
        rootPath,
        "-untrusted",
        caPath,
        "-purpose",
        "sslclient",
        leafPath,
      );
      expect(out.trim()).toBe(`${leafPath}: OK`);
    },
  );

  it("denies under openssl a leaf whose issuer name matches but whose signer is another key", async () => {
    const ca = await issueCertificate({ subject: "CN=Same Name CA, C=FR", isCa: true });
    const impostor = await issueCertificate({ subject: "CN=Same Name CA, C=FR", isCa: true });
    // Without an AKI, openssl can only match the issuer by name, so it must reach the signature check.
    const leaf = await issueCertificate({
      subject: TPP_SUBJECT,
      issuer: impostor,
      authorityKeyIdentifier: false,
    });
    const caPath = writeTemp("same-name-ca.pem", ca.pem);
    const leafPath = writeTemp("same-name-leaf.pem", leaf.pem);
    const result = spawnSync("openssl", ["verify", "-CAfile", caPath, leafPath], { encoding: "utf8" });
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain("certificate signature failure");
  });

  it("signs with the hash that matches the issuer's curve", async () => {
    const p384 = await issueCertificate({ subject: "CN=P-384 CA", keyAlg: "P-384", isCa: true });
    const p256 = await issueCertificate({ subject: "CN=P-256 CA", keyAlg: "P-256", isCa: true });
    const rsa = await issueCertificate({ subject: "CN=RSA CA", keyAlg: "RSA-2048", isCa: true });
    const text = (pem: string, name: string) =>
      openssl("x509", "-in", writeTemp(name, pem), "-noout", "-text");
    expect(text(p384.pem, "p384.pem")).toContain("Signature Algorithm: ecdsa-with-SHA384");
    expect(text(p256.pem, "p256.pem")).toContain("Signature Algorithm: ecdsa-with-SHA256");
    expect(text(rsa.pem, "rsa.pem")).toContain("Signature Algorithm: sha256WithRSAEncryption");
  });

  it("returns the private key as PKCS#8 PEM that belongs to the certificate", async () => {
    const leaf = await issueCertificate({ subject: TPP_SUBJECT, keyAlg: "RSA-2048" });
    expect(leaf.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const fromKey = openssl("pkey", "-in", writeTemp("leaf.key", leaf.keyPem), "-pubout");
    const fromCert = openssl("x509", "-in", writeTemp("leaf-key-cert.pem", leaf.pem), "-noout", "-pubkey");
    expect(fromKey).toBe(fromCert);
  });
});

describe("issueCertificate writes the requested fields", () => {
  it("encodes organizationIdentifier as UTF8String and the country as PrintableString", async () => {
    const leaf = await issueCertificate({ subject: TPP_SUBJECT });
    const out = openssl("asn1parse", "-in", writeTemp("orgid.pem", leaf.pem));
    expect(out).toMatch(/OBJECT +:organizationIdentifier\n.*UTF8STRING +:PSDFR-ACPR-12345/);
    expect(out).toMatch(/OBJECT +:countryName\n.*PRINTABLESTRING +:FR/);
  });

  it("accepts the organizationIdentifier keyword and non-ASCII values", async () => {
    const leaf = await issueCertificate({
      subject: "CN=Banka, O=Banka CREDITAS a.s., L=Karlín, organizationIdentifier=PSDCZ-CNB-1",
    });
    expect(leaf.cert.subjectName.getField("2.5.4.97")).toEqual(["PSDCZ-CNB-1"]);
    expect(leaf.cert.subjectName.getField("L")).toEqual(["Karlín"]);
  });

  it("keeps the given serial number, validity and key identifiers", async () => {
    const notBefore = new Date("2025-01-01T00:00:00Z");
    const notAfter = new Date("2026-01-01T00:00:00Z");
    const ca = await issueCertificate({ subject: "CN=CA", isCa: true, pathLen: 0 });
    const leaf = await issueCertificate({
      subject: TPP_SUBJECT,
      issuer: ca,
      serial: "0a1b2c3d",
      notBefore,
      notAfter,
    });
    expect(leaf.cert.serialNumber.toLowerCase()).toBe("0a1b2c3d");
    expect(leaf.cert.notBefore).toEqual(notBefore);
    expect(leaf.cert.notAfter).toEqual(notAfter);
    const caSki = ca.cert.getExtension(SubjectKeyIdentifierExtension)?.keyId;
    expect(caSki).toBeDefined();
    expect(leaf.cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId).toBe(caSki);
    expect(leaf.cert.issuer).toBe(ca.cert.subject);
  });

  it("marks a CA with a critical basicConstraints and its pathLen, and a leaf with serverAuth+clientAuth", async () => {
    const ca = await issueCertificate({ subject: "CN=CA", isCa: true, pathLen: 1 });
    const constraints = ca.cert.getExtension(BasicConstraintsExtension);
    expect([constraints?.ca, constraints?.pathLength, constraints?.critical]).toEqual([true, 1, true]);
    const leaf = await issueCertificate({ subject: TPP_SUBJECT, issuer: ca });
    expect(leaf.cert.getExtension(BasicConstraintsExtension)).toBeNull();
    expect(leaf.cert.getExtension(ExtendedKeyUsageExtension)?.usages).toEqual([
      EKU_SERVER_AUTH,
      EKU_CLIENT_AUTH,
    ]);
  });

  it("writes AIA and CRL distribution point URLs that openssl reads", async () => {
    const leaf = await issueCertificate({
      subject: TPP_SUBJECT,
      aiaOcspUrl: "http://127.0.0.1:8080/ocsp",
      aiaCaIssuersUrl: "http://127.0.0.1:8080/ca.cer",
      crlDistributionPointUrl: "http://127.0.0.1:8080/ca.crl",
    });
    const text = openssl("x509", "-in", writeTemp("aia.pem", leaf.pem), "-noout", "-text");
    expect(text).toContain("OCSP - URI:http://127.0.0.1:8080/ocsp");
    expect(text).toContain("CA Issuers - URI:http://127.0.0.1:8080/ca.cer");
    expect(text).toContain("URI:http://127.0.0.1:8080/ca.crl");
  });
});

describe("the qcStatements encoding is what openssl and a real QTSP produce", () => {
  it("lays out QcCompliance, QcType web and the PSD2 statement as openssl parses them", async () => {
    const leaf = await issueCertificate({
      subject: TPP_SUBJECT,
      qc: { psd2: { roles: psd2Roles("PSP_PI", "PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" }, sscd: true },
    });
    const out = opensslQcStatements(writeTemp("qc.pem", leaf.pem));
    const layout = out
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) =>
        line
          .replace(/^ *\d+:/, "")
          .replace(/ hl=\d+ l= *\d+/, "")
          .replace(/ +/g, " ")
          .trim(),
      );
    expect(layout).toEqual([
      "d=0 cons: SEQUENCE",
      "d=1 cons: SEQUENCE",
      "d=2 prim: OBJECT :0.4.0.1862.1.1",
      "d=1 cons: SEQUENCE",
      "d=2 prim: OBJECT :0.4.0.1862.1.4",
      "d=1 cons: SEQUENCE",
      "d=2 prim: OBJECT :0.4.0.1862.1.6",
      "d=2 cons: SEQUENCE",
      "d=3 prim: OBJECT :0.4.0.1862.1.6.3",
      "d=1 cons: SEQUENCE",
      "d=2 prim: OBJECT :0.4.0.19495.2",
      "d=2 cons: SEQUENCE",
      "d=3 cons: SEQUENCE",
      "d=4 cons: SEQUENCE",
      "d=5 prim: OBJECT :0.4.0.19495.1.2",
      "d=5 prim: UTF8STRING :PSP_PI",
      "d=4 cons: SEQUENCE",
      "d=5 prim: OBJECT :0.4.0.19495.1.3",
      "d=5 prim: UTF8STRING :PSP_AI",
      "d=3 prim: UTF8STRING :ACPR",
      "d=3 prim: UTF8STRING :FR-ACPR",
    ]);
  });

  it("encodes the PSD2 statement of a real I.CA QWAC byte for byte", () => {
    const real = Buffer.from(new X509Certificate(realPsd2Pem("03-ica-creditas-qwac.pem")).rawData);
    const ours = encodePsd2Statement({
      roles: psd2Roles("PSP_AS", "PSP_PI", "PSP_AI", "PSP_IC"),
      ncaName: "Czech National Bank",
      ncaId: "CZ-CNB",
    });
    expect(real.indexOf(Buffer.from(ours))).toBeGreaterThan(0);
  });

  it("encodes QcCompliance and QcType web as the same bytes as the real I.CA QWAC", () => {
    const real = Buffer.from(new X509Certificate(realPsd2Pem("03-ica-creditas-qwac.pem")).rawData);
    const ours = Buffer.from(AsnConvert.serialize(new QCStatements(buildQcStatements({ types: ["web"] }))));
    // Our SEQUENCE header differs (it holds fewer statements); the statements themselves must match.
    const statements = ours.subarray(2);
    expect(real.indexOf(statements)).toBeGreaterThan(0);
  });

  it("puts rawStatements into the certificate unchanged", async () => {
    const raw = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07]).buffer;
    const leaf = await issueCertificate({ subject: TPP_SUBJECT, qc: { rawStatements: raw } });
    const extension = leaf.cert.extensions.find((e) => e.type === "1.3.6.1.5.5.7.1.3");
    expect(Buffer.from(extension?.value ?? new ArrayBuffer(0))).toEqual(Buffer.from(raw));
    expect(extension?.critical).toBe(false);
  });
});

describe("psd2Roles", () => {
  it("pairs each role name with its TS 119 495 OID, in the order given", () => {
    expect(psd2Roles("PSP_IC", "PSP_AS", "PSP_PI", "PSP_AI")).toEqual([
      { oid: "0.4.0.19495.1.4", name: "PSP_IC" },
      { oid: "0.4.0.19495.1.1", name: "PSP_AS" },
      { oid: "0.4.0.19495.1.2", name: "PSP_PI" },
      { oid: "0.4.0.19495.1.3", name: "PSP_AI" },
    ]);
  });
});
