import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate, psd2Roles } from "../../src/demo/certificate_factory.js";
import { createRevocationChecker } from "../../src/revocation/checker.js";
import { revocationConfigSchema } from "../../src/revocation/config.js";
import { lookupSerial, type VerifiedCrl, verifyCrl } from "../../src/revocation/crl.js";
import { type RevocationStatus, revocationDenial } from "../../src/revocation/revocation.js";
import { normaliseSerialHex } from "../../src/revocation/subject.js";
import { certificateParts } from "../../src/trust/certificate_der.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { startGatekeeper } from "../support/gatekeeper.js";
import { OpensslCa } from "../support/openssl_ca.js";
import { bigCrl, der, rawEntry, rawExtension, reasonCodeValue, utcTime } from "./big_crl.js";
import { PATH, type RevocationLab, startRevocationLab } from "./lab.js";

/**
 * Real-sized CRLs (issue 13, item 2): asn1js's 10,000-node limit made a correctly signed CRL of more than
 * ~1,250 entries with reason codes "malformed", which in soft mode let a revoked certificate in.
 */

let lab: RevocationLab;
const HOUR = 3_600_000;
const KEY_COMPROMISE = 1;

beforeAll(async () => {
  lab = await startRevocationLab();
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

function serialOf(pem: string): Uint8Array {
  const parts = certificateParts(new Uint8Array(new X509Certificate(pem).rawData));
  if (parts === undefined) throw new Error("certificate does not split");
  return parts.serial;
}

const hexOf = (serial: Uint8Array) => normaliseSerialHex(Buffer.from(serial).toString("hex"));

async function expectCrl(bytes: Uint8Array): Promise<VerifiedCrl> {
  const outcome = await verifyCrl(bytes, { issuer: lab.ca.cert.cert, now: new Date(), clockSkewMs: 120_000 });
  if (!outcome.ok) throw new Error(`expected a CRL, got ${outcome.error.code}: ${outcome.error.detail}`);
  return outcome.value;
}

function labBigCrl(fillers: number, listed: readonly Uint8Array[]): Promise<Uint8Array> {
  return bigCrl({
    ca: lab.ca.cert,
    fillers,
    listed: listed.map((serial) => ({ serial, reason: KEY_COMPROMISE })),
    thisUpdate: new Date(Date.now() - HOUR),
    nextUpdate: new Date(Date.now() + HOUR),
  });
}

describe("a CRL from openssl ca -gencrl with 1,500 entries", () => {
  it("is read in full: every entry, with its reason", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crl-1500-"));
    try {
      const urls = { ocspUrl: lab.server.url(PATH.ocsp), crlUrl: lab.server.url(PATH.crl) };
      const ca = await OpensslCa.create(dir, { subject: "/C=FR/O=Big QTSP/CN=Big QTSP CA", ...urls });
      const listed = await ca.issue("listed", "leaf-crl-only");
      await ca.revoke(listed, "keyCompromise");
      // The rest of the CA's database as `openssl ca -revoke` writes it, without 1,499 certificates.
      const lines = Array.from(
        { length: 1_499 },
        (_, i) =>
          `R\t301231000000Z\t250101000000Z,superseded\t7E${i.toString(16).padStart(6, "0")}\tunknown\t/CN=f${i}\n`,
      );
      await appendFile(join(dir, "index.txt"), lines.join(""));
      const der = await ca.crl({ hours: 24 });
      const outcome = await verifyCrl(der, { issuer: ca.cert.cert, now: new Date(), clockSkewMs: 120_000 });
      if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.detail}`);
      expect(outcome.value.revoked.size).toBe(1_500);
      expect(lookupSerial(outcome.value, hexOf(serialOf(listed.pem)))?.reason).toBe("keyCompromise");
      expect(lookupSerial(outcome.value, "7e0005da")?.reason).toBe("superseded");
      expect(lookupSerial(outcome.value, "7e0005db")).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("CRLs of 100,000 and 500,000 entries signed by the CA", () => {
  it.each([100_000, 500_000])("reads all %i entries and finds the last one", async (fillers) => {
    const target = lab.subject(lab.certs.crlOnlyGood);
    const crl = await expectCrl(await labBigCrl(fillers, [target.serial]));
    expect(crl.revoked.size).toBe(fillers + 1);
    expect(lookupSerial(crl, target.serialHex)).toMatchObject({ reason: "keyCompromise" });
    expect(lookupSerial(crl, "100000000000000")?.reason).toBe("superseded");
    expect(lookupSerial(crl, lab.subject(lab.certs.good).serialHex)).toBeUndefined();
  });

  it("refuses a big CRL cut short, or with bytes after it, as malformed", async () => {
    const crl = await labBigCrl(100_000, []);
    const options = { issuer: lab.ca.cert.cert, now: new Date(), clockSkewMs: 0 };
    for (const bytes of [crl.subarray(0, crl.length >> 1), Buffer.concat([crl, Buffer.from([0])])]) {
      const outcome = await verifyCrl(new Uint8Array(bytes), options);
      expect(outcome.ok ? "crl" : outcome.error.code).toBe("malformed");
    }
  });

  it("refuses a big CRL with one entry altered after signing", async () => {
    const target = lab.subject(lab.certs.crlOnlyGood);
    const tampered = Buffer.from(await labBigCrl(100_000, [target.serial]));
    const at = tampered.lastIndexOf(Buffer.from(target.serial));
    expect(at).toBeGreaterThan(100_000);
    tampered[at] = (tampered[at] ?? 0) ^ 0x01;
    const outcome = await verifyCrl(tampered, { issuer: lab.ca.cert.cert, now: new Date(), clockSkewMs: 0 });
    expect(outcome.ok ? "crl" : outcome.error.code).toBe("bad-signature");
  });
});

describe("the revoked list, walked as DER after the signature holds", () => {
  const SERIAL = new Uint8Array([0x42, 0x01]);
  const REVOKED_AT = new Date("2026-03-04T05:06:07Z");
  const REASON_CODE = [0x55, 0x1d, 0x15];
  const CERTIFICATE_ISSUER = [0x55, 0x1d, 0x1d];

  async function withEntry(entry: Uint8Array) {
    const crl = await bigCrl({
      ca: lab.ca.cert,
      fillers: 2,
      rawEntries: [entry],
      thisUpdate: new Date(Date.now() - HOUR),
      nextUpdate: new Date(Date.now() + HOUR),
    });
    return verifyCrl(crl, { issuer: lab.ca.cert.cert, now: new Date(), clockSkewMs: 0 });
  }

  async function expectCode(entry: Uint8Array, code: string, detail?: RegExp) {
    const outcome = await withEntry(entry);
    expect(outcome.ok ? "crl" : outcome.error.code).toBe(code);
    if (detail !== undefined) expect(outcome.ok ? "" : outcome.error.detail).toMatch(detail);
  }

  it("reads the reason and the revocation time to the second, UTCTime or GeneralizedTime", async () => {
    const hold = rawExtension(REASON_CODE, false, reasonCodeValue(6));
    const utc = await withEntry(rawEntry(SERIAL, utcTime(REVOKED_AT), [hold]));
    expect(utc.ok && lookupSerial(utc.value, "4201")).toEqual({
      revokedAt: REVOKED_AT,
      reason: "certificateHold",
    });
    const generalized = der(0x18, Buffer.from("20260304050607Z", "ascii"));
    const outcome = await withEntry(rawEntry(SERIAL, generalized, []));
    expect(outcome.ok && lookupSerial(outcome.value, "4201")).toEqual({
      revokedAt: REVOKED_AT,
      reason: undefined,
    });
  });

  it("keys each serial as normaliseSerialHex spells it (sign octets, leading zero nibbles, zero)", async () => {
    const serials = [[0x00], [0x00, 0x8f, 0xab], [0x0f], [0x01, 0x00], [0x00, 0x00, 0x01], [0x7f, 0xff]];
    const crl = await bigCrl({
      ca: lab.ca.cert,
      fillers: 0,
      rawEntries: serials.map((serial) => rawEntry(new Uint8Array(serial), utcTime(REVOKED_AT), [])),
      thisUpdate: new Date(Date.now() - HOUR),
      nextUpdate: new Date(Date.now() + HOUR),
    });
    const verified = await expectCrl(crl);
    for (const serial of serials) {
      expect(lookupSerial(verified, hexOf(new Uint8Array(serial)))?.revokedAt).toEqual(REVOKED_AT);
    }
    expect(verified.revoked.size).toBe(serials.length);
  });

  it("refuses an entry for another CA's certificate (critical certificateIssuer: an indirect CRL)", async () => {
    const issuer = rawExtension(CERTIFICATE_ISSUER, true, der(0x30));
    await expectCode(rawEntry(SERIAL, utcTime(REVOKED_AT), [issuer]), "unsupported", /2\.5\.29\.29/);
  });

  it("refuses an unknown critical entry extension, and ignores an unknown non-critical one", async () => {
    const unknown = (critical: boolean) => rawExtension([0x2a, 0x03, 0x04], critical, der(0x05));
    await expectCode(rawEntry(SERIAL, utcTime(REVOKED_AT), [unknown(true)]), "unsupported", /1\.2\.3\.4/);
    const outcome = await withEntry(rawEntry(SERIAL, utcTime(REVOKED_AT), [unknown(false)]));
    expect(outcome.ok && lookupSerial(outcome.value, "4201")?.revokedAt).toEqual(REVOKED_AT);
  });

  it("refuses an entry with two reason codes, which contradict each other", async () => {
    const reasons = [1, 6].map((code) => rawExtension(REASON_CODE, false, reasonCodeValue(code)));
    await expectCode(rawEntry(SERIAL, utcTime(REVOKED_AT), reasons), "malformed", /twice/);
  });

  it("refuses entries that are not RFC 5280 DER: no INTEGER serial, fractional seconds, a bad reasonCode", async () => {
    const entryOf = (...content: Uint8Array[]) => der(0x30, ...content);
    await expectCode(entryOf(der(0x04, SERIAL), utcTime(REVOKED_AT)), "malformed");
    await expectCode(rawEntry(SERIAL, der(0x18, Buffer.from("20260304050607.5Z", "ascii")), []), "malformed");
    await expectCode(rawEntry(SERIAL, der(0x17, Buffer.from("2603040506Z", "ascii")), []), "malformed");
    const notEnumerated = rawExtension(REASON_CODE, false, der(0x02, Buffer.from([1])));
    await expectCode(rawEntry(SERIAL, utcTime(REVOKED_AT), [notEnumerated]), "malformed");
    await expectCode(entryOf(der(0x02, SERIAL), utcTime(REVOKED_AT), der(0x05)), "malformed");
  });
});

describe("a certificate a big CRL lists, through the checker and the whole Check", () => {
  const POLICY = "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n";
  const BIG_PATH = "/crl/big.crl";
  let qwac: string;

  beforeAll(async () => {
    const issued = await issueCertificate({
      subject: "CN=big-crl-qwac, O=Big CRL SAS, 2.5.4.97=PSDFR-ACPR-7, C=FR",
      issuer: await lab.ca.signer(),
      crlDistributionPointUrl: lab.server.url(BIG_PATH),
      qc: { psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
    });
    qwac = issued.pem;
    const body = await labBigCrl(100_000, [serialOf(qwac)]);
    lab.server.route(BIG_PATH, { kind: "bytes", body, contentType: "application/pkix-crl" });
  }, 60_000);

  it.each(["hard", "soft"] as const)("is denied CERT_REVOKED in %s mode", async (failMode) => {
    const config = revocationConfigSchema.parse({ failMode, timeoutMs: 5_000, fetchTimeoutMs: 10_000 });
    const checker = createRevocationChecker(config);
    const gk = await startGatekeeper({
      anchors: [lab.ca.cert.cert],
      policyYaml: POLICY,
      revocation: checker,
    });
    try {
      const response = await gk.check(checkRequest({ path: "/v1/accounts", certPem: qwac }));
      expect(response.denied_response?.status.code).toBe(401);
      expect(headerValue(response, "x-authz-reason")).toBe("CERT_REVOKED");
      expect(headerValue(response, "x-tpp-revocation")).toBeUndefined();
    } finally {
      await gk.close();
      await checker.close();
    }
  });

  it("takes a delegated responder without ocsp-nocheck that the CA's big CRL does not list", async () => {
    // The responder's own CDP is the lab CA's CRL: for this test, a 100,000-entry one.
    const crl = await labBigCrl(100_000, [lab.subject(lab.certs.crlOnlyGood).serial]);
    lab.server.route(PATH.crl, { kind: "bytes", body: crl, contentType: "application/pkix-crl" });
    const issuerFingerprint = lab.subject(lab.certs.good).issuerFingerprint;
    const checker = createRevocationChecker(
      revocationConfigSchema.parse({
        timeoutMs: 5_000,
        fetchTimeoutMs: 10_000,
        trySecondSource: false,
        issuers: [
          { match: { sha256: issuerFingerprint }, ocspUrl: lab.server.url(PATH.ocspCheckedResponder) },
        ],
      }),
    );
    try {
      lab.server.resetHits();
      const status: RevocationStatus = await checker.check(lab.subject(lab.certs.good), new Date());
      expect(status).toMatchObject({ status: "good", source: "ocsp" });
      expect(revocationDenial(status)).toBeUndefined();
      expect(lab.server.hits(PATH.crl)).toBe(1);
    } finally {
      lab.server.route(PATH.crl, { kind: "bytes", body: lab.crl, contentType: "application/pkix-crl" });
      await checker.close();
    }
  });
});
