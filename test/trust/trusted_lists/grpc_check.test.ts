import type { X509Certificate } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type IssuedCertificate,
  issueCertificate,
  psd2Roles,
} from "../../../src/demo/certificate_factory.js";
import { trustedListsConfigSchema } from "../../../src/trust/trusted_lists/config.js";
import { ListTrust } from "../../../src/trust/trusted_lists/list_trust.js";
import { TrustedListStore } from "../../../src/trust/trusted_lists/store.js";
import { checkRequest, headerValue } from "../../support/check_request.js";
import { type RunningGatekeeper, startGatekeeper } from "../../support/gatekeeper.js";
import { ASI, STATUS, signedTsl } from "./tl_builder.js";

/**
 * End to end over gRPC on loopback: the gatekeeper's trust comes from a LOTL and a Member State list we
 * sign ourselves, loaded by the real store (from memory, no network). No trust.anchors at all.
 */
const DAY = 86_400_000;
const LOTL_URL = "https://lotl.test/eu-lotl.xml";
const AA_URL = "https://tl.test/AA.xml";
const POLICY = "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n";

let gk: RunningGatekeeper;
const tpp: Record<string, IssuedCertificate> = {};
const intermediates: X509Certificate[] = [];

async function qwac(name: string, issuer: IssuedCertificate, notBefore: Date): Promise<IssuedCertificate> {
  return issueCertificate({
    subject: `CN=${name}, O=${name} SAS, 2.5.4.97=PSDFR-ACPR-${name.length}, C=FR`,
    issuer,
    notBefore,
    notAfter: new Date(Date.now() + 300 * DAY),
    qc: { psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
  });
}

beforeAll(async () => {
  const now = Date.now();
  const long = { notBefore: new Date(now - 3000 * DAY), notAfter: new Date(now + 3000 * DAY) };
  const ojSigner = await issueCertificate({ subject: "CN=Test LOTL signer, C=EU", ...long });
  const aaSigner = await issueCertificate({ subject: "CN=AA TL signer, C=AA", ...long });
  const ca = async (cn: string) =>
    issueCertificate({ subject: `CN=${cn}, O=Test QTSP, C=AA`, isCa: true, ...long });
  const granted = await ca("Granted QWAC CA");
  const withdrawn = await ca("Withdrawn QWAC CA");
  const esealOnly = await ca("eSeal CA");
  const unlisted = await ca("Unlisted CA");
  // A list that names the root; the TPP's issuing CA below it is on no list.
  const listedRoot = await ca("Listed Root CA");
  const issuingCa = await issueCertificate({
    subject: "CN=Issuing CA under listed root, C=AA",
    isCa: true,
    issuer: listedRoot,
    ...long,
  });
  const issued = new Date(now - 100 * DAY);
  tpp.granted = await qwac("granted", granted, issued);
  tpp.withdrawn = await qwac("withdrawn", withdrawn, issued);
  tpp.eseal = await qwac("esealonly", esealOnly, issued);
  tpp.unlisted = await qwac("unlisted", unlisted, issued);
  tpp.underRoot = await qwac("underroot", issuingCa, issued);
  // One CA key, certified twice: an expired certificate listed first, its valid re-issue second.
  const reissuedExpired = await issueCertificate({
    subject: "CN=Reissued CA, C=AA",
    isCa: true,
    notBefore: new Date(now - 3000 * DAY),
    notAfter: new Date(now - DAY),
  });
  const reissuedValid = await issueCertificate({
    subject: "CN=Reissued CA, C=AA",
    isCa: true,
    keys: reissuedExpired.keys,
    ...long,
  });
  tpp.reissued = await qwac("reissued", reissuedValid, issued);
  intermediates.push(issuingCa.cert);
  const since = new Date(now - 2000 * DAY);
  const WSA = ASI("ForWebSiteAuthentication");
  const lists = { issued: new Date(now - DAY), nextUpdate: new Date(now + 100 * DAY) };
  const served = new Map<string, Uint8Array>([
    [
      LOTL_URL,
      await signedTsl(
        {
          territory: "EU",
          sequence: 1,
          ...lists,
          pointers: [
            { location: LOTL_URL, territory: "EU", signers: [ojSigner.cert], lotl: true },
            { location: AA_URL, territory: "AA", signers: [aaSigner.cert] },
          ],
        },
        ojSigner,
      ),
    ],
    [
      AA_URL,
      await signedTsl(
        {
          territory: "AA",
          sequence: 9,
          ...lists,
          providers: [
            {
              name: "Test QTSP",
              services: [
                { name: "Granted QWAC", ca: granted.cert, status: STATUS("granted"), since, asi: [WSA] },
                {
                  name: "Withdrawn QWAC",
                  ca: withdrawn.cert,
                  status: STATUS("withdrawn"),
                  since: new Date(now - 200 * DAY),
                  asi: [WSA],
                  history: [{ status: STATUS("granted"), since, asi: [WSA] }],
                },
                {
                  name: "eSeal only",
                  ca: esealOnly.cert,
                  status: STATUS("granted"),
                  since,
                  asi: [ASI("ForeSeals")],
                },
                { name: "Listed root", ca: listedRoot.cert, status: STATUS("granted"), since, asi: [WSA] },
                {
                  name: "Reissued",
                  ca: reissuedExpired.cert,
                  alsoCertificates: [reissuedValid.cert],
                  status: STATUS("granted"),
                  since,
                  asi: [WSA],
                },
              ],
            },
          ],
        },
        aaSigner,
      ),
    ],
  ]);
  const config = trustedListsConfigSchema.parse({
    lotl: LOTL_URL,
    lotlSigners: "oj.pem",
    cacheDir: "/nonexistent",
  });
  const store = new TrustedListStore(
    { ...config, cacheDir: `/tmp/tl-grpc-${process.pid}` },
    [ojSigner.cert],
    {
      fetch: async (location) => {
        const bytes = served.get(location);
        if (bytes === undefined) throw new Error(`not served: ${location}`);
        return bytes;
      },
      now: () => new Date(),
    },
  );
  await store.refresh();
  expect(store.view.ready).toBe(true);
  gk = await startGatekeeper({
    anchors: [],
    intermediates,
    policyYaml: POLICY,
    chainVerifier: new ListTrust(store),
  });
}, 120_000);

afterAll(async () => {
  await gk?.close();
  const { rmSync } = await import("node:fs");
  rmSync(`/tmp/tl-grpc-${process.pid}`, { recursive: true, force: true });
});

async function decide(cert: IssuedCertificate) {
  const response = await gk.check(checkRequest({ path: "/v1/accounts", certPem: cert.pem }));
  return {
    code: response.status.code,
    http: response.denied_response?.status.code ?? 200,
    reason: headerValue(response, "x-authz-reason"),
    body:
      response.denied_response?.body === undefined ? undefined : JSON.parse(response.denied_response.body),
  };
}

describe("Check over gRPC with trust from the trusted lists", () => {
  it("allows a QWAC from a listed service granted for website authentication", async () => {
    expect(await decide(tpp.granted as IssuedCertificate)).toMatchObject({ code: 0, http: 200 });
  });

  it("denies a QWAC from a withdrawn service: 401 CERTIFICATE_INVALID, CERT_NOT_QUALIFIED", async () => {
    const d = await decide(tpp.withdrawn as IssuedCertificate);
    expect(d).toMatchObject({ http: 401, reason: "CERT_NOT_QUALIFIED" });
    expect(JSON.stringify(d.body)).toContain("CERTIFICATE_INVALID");
  });

  it("denies a QWAC from a CA on no list: CERT_ISSUER_NOT_LISTED", async () => {
    expect(await decide(tpp.unlisted as IssuedCertificate)).toMatchObject({
      http: 401,
      reason: "CERT_ISSUER_NOT_LISTED",
    });
  });

  it("allows a QWAC whose issuing CA is under a listed, granted root (the chain verifies up to it)", async () => {
    const d = await decide(tpp.underRoot as IssuedCertificate);
    expect(d.reason).toBeUndefined();
    expect(d).toMatchObject({ code: 0, http: 200 });
  });

  it("allows a QWAC whose CA is listed with an expired and a valid certificate of one key (the chain ends at the valid one)", async () => {
    expect(await decide(tpp.reissued as IssuedCertificate)).toMatchObject({ code: 0, http: 200 });
  });

  it("denies a QWAC from a CA listed only for e-seals: CERT_NOT_QUALIFIED", async () => {
    expect(await decide(tpp.eseal as IssuedCertificate)).toMatchObject({
      http: 401,
      reason: "CERT_NOT_QUALIFIED",
    });
  });
});
