import { readFileSync } from "node:fs";
import { Version } from "@peculiar/asn1-x509";
import { Extension, type X509Certificate } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IssuedCertificate, issueCertificate, psd2Roles } from "../../src/demo/certificate_factory.js";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { type RunningGatekeeper, startGatekeeper } from "../support/gatekeeper.js";
import { withVersion } from "../support/reissue.js";

const DAY = 86_400_000;
const BERLIN_GROUP = readFileSync(new URL("../../policies/berlin-group.yaml", import.meta.url), "utf8");

let pki: DemoPki;
let gk: RunningGatekeeper;
const extra: Record<string, Pick<IssuedCertificate, "pem">> = {};

function pemOf(cert: X509Certificate): Pick<IssuedCertificate, "pem"> {
  return { pem: cert.toString("pem") };
}

function qwacFor(subject: string, overrides: Partial<Parameters<typeof issueCertificate>[0]> = {}) {
  return issueCertificate({
    subject,
    issuer: pki.intermediate,
    qc: { psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
    ...overrides,
  });
}

beforeAll(async () => {
  pki = await createDemoPki();
  const now = Date.now();
  extra.notYetValid = await qwacFor("CN=future, O=Future SAS, 2.5.4.97=PSDFR-ACPR-777, C=FR", {
    notBefore: new Date(now + 2 * DAY),
    notAfter: new Date(now + 30 * DAY),
  });
  // Same subject name as the real issuing CA, different key: it must not be taken for the issuer.
  const rogueCa = await issueCertificate({
    subject: pki.intermediate.cert.subject,
    isCa: true,
    keyAlg: "P-256",
  });
  extra.rogue = await issueCertificate({
    subject: "CN=rogue, O=Rogue SAS, 2.5.4.97=PSDFR-ACPR-666, C=FR",
    issuer: rogueCa,
    qc: { psd2: { roles: psd2Roles("PSP_AI", "PSP_PI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
  });
  extra.plain = await issueCertificate({ subject: "CN=plain.example, O=Plain", issuer: pki.intermediate });
  extra.noQcCompliance = await qwacFor("CN=nocomp, O=X, 2.5.4.97=PSDFR-ACPR-1, C=FR", {
    qc: { compliance: false, psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
  });
  extra.roleMismatch = await qwacFor("CN=mismatch, O=X, 2.5.4.97=PSDFR-ACPR-2, C=FR", {
    qc: {
      psd2: { roles: [{ oid: "0.4.0.19495.1.3", name: "PSP_PI" }], ncaName: "ACPR", ncaId: "FR-ACPR" },
    },
  });
  extra.badOrgId = await qwacFor("CN=badorg, O=X, 2.5.4.97=VATFR-12345, C=FR");
  extra.orgIdOtherNca = await qwacFor("CN=othernca, O=X, 2.5.4.97=PSDDE-BAFIN-3, C=DE");
  // Signed by the trusted CA, but its (non-critical) subjectAltName is not valid ASN.1.
  extra.brokenExtension = await qwacFor("CN=broken, O=X, 2.5.4.97=PSDFR-ACPR-5, C=FR", {
    extraExtensions: [new Extension("2.5.29.17", false, new Uint8Array([0x30, 0x03, 0x82, 0x05, 0x41]))],
  });
  // A v1 and a v2 copy of a good QWAC, extensions kept, signed again by the trusted CA (RFC 5280 4.1.2.1).
  const v3 = await qwacFor("CN=versioned, O=X, 2.5.4.97=PSDFR-ACPR-6, C=FR");
  extra.v1WithExtensions = pemOf(withVersion(v3.cert, Version.v1, pki.intermediate));
  extra.v2WithExtensions = pemOf(withVersion(v3.cert, Version.v2, pki.intermediate));
  gk = await startGatekeeper({
    anchors: [pki.root.cert],
    intermediates: [pki.intermediate.cert],
    policyYaml: BERLIN_GROUP,
  });
});

afterAll(async () => {
  await gk?.close();
});

async function decide(spec: Parameters<typeof checkRequest>[0]) {
  const response = await gk.check(checkRequest(spec));
  return {
    response,
    code: response.status.code,
    http: response.denied_response?.status.code ?? 200,
    reason: headerValue(response, "x-authz-reason"),
    body:
      response.denied_response?.body === undefined ? undefined : JSON.parse(response.denied_response.body),
  };
}

const FAMILIES = [
  { method: "GET", path: "/v1/accounts", role: "tpp-ai" },
  { method: "GET", path: "/v1/accounts/3dc3d5b3/transactions", role: "tpp-ai" },
  { method: "GET", path: "/v1/card-accounts/123/balances", role: "tpp-ai" },
  { method: "POST", path: "/v1/consents", role: "tpp-ai" },
  { method: "POST", path: "/v1/payments/sepa-credit-transfers", role: "tpp-pi" },
  { method: "POST", path: "/v1/bulk-payments/sepa-credit-transfers", role: "tpp-pi" },
  { method: "POST", path: "/v1/periodic-payments/sepa-credit-transfers", role: "tpp-pi" },
  { method: "POST", path: "/v1/funds-confirmations", role: "tpp-ic" },
] as const;
const SINGLE_ROLE_TPPS = ["tpp-ai", "tpp-pi", "tpp-ic"] as const;

describe("roles against Berlin Group path families", () => {
  for (const family of FAMILIES) {
    for (const tpp of SINGLE_ROLE_TPPS) {
      const expected = tpp === family.role ? "allow" : "deny 401";
      it(`${tpp} ${family.method} ${family.path}: ${expected}`, async () => {
        const result = await decide({ method: family.method, path: family.path, certPem: pki.tpps[tpp].pem });
        if (tpp === family.role) {
          expect(result.code).toBe(0);
          expect(result.response.ok_response).toBeDefined();
        } else {
          expect(result.http).toBe(401);
          expect(result.reason).toBe("ROLE_NOT_ALLOWED");
          expect(result.body.tppMessages[0].code).toBe("ROLE_INVALID");
        }
      });
    }
    it(`a TPP with every role may ${family.method} ${family.path}`, async () => {
      const result = await decide({
        method: family.method,
        path: family.path,
        certPem: pki.tpps["tpp-all"].pem,
      });
      expect(result.code).toBe(0);
    });
  }
});

describe("the allow answer", () => {
  it("sets identity headers to overwrite and removes client-sent ones under the prefix", async () => {
    const { response } = await decide({
      path: "/v1/accounts?withBalance=true",
      certPem: pki.tpps["tpp-ai"].pem,
      headers: { "x-tpp-roles": "PSP_AS,PSP_PI,PSP_AI,PSP_IC", "x-tpp-admin": "yes", "x-other": "kept" },
    });
    const ok = response.ok_response!;
    const set = Object.fromEntries(ok.headers.map((h) => [h.header.key, h.header.value]));
    expect(set["x-tpp-organization-id"]).toBe("PSDFR-ACPR-10001");
    expect(set["x-tpp-roles"]).toBe("PSP_AI");
    expect(set["x-tpp-nca-id"]).toBe("FR-ACPR");
    expect(set["x-tpp-organization-name"]).toBe("Demo Account Info SAS");
    expect(set["x-tpp-cert-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(set["x-tpp-cert-not-after"]).toBe(pki.tpps["tpp-ai"].cert.notAfter.toISOString());
    for (const option of ok.headers) expect(option.append?.value ?? false).toBe(false);
    expect(ok.headers_to_remove).toEqual(["x-tpp-admin"]);
    const meta = response.dynamic_metadata!.fields;
    expect(meta.tpp_id).toMatchObject({ stringValue: "PSDFR-ACPR-10001" });
    expect(meta.decision).toMatchObject({ stringValue: "allow" });
  });

  it("reads headers from header_map when Envoy encodes raw headers", async () => {
    const { response } = await decide({
      path: "/v1/accounts",
      certPem: pki.tpps["tpp-ai"].pem,
      rawHeaders: true,
      headers: { "x-tpp-spoof": "1" },
    });
    expect(response.status.code).toBe(0);
    expect(response.ok_response?.headers_to_remove).toEqual(["x-tpp-spoof"]);
  });
});

describe("certificate problems are 401 with a Berlin Group body", () => {
  const cases: [string, () => string, string, string][] = [
    ["expired", () => pki.tpps["tpp-expired"].pem, "CERT_EXPIRED", "CERTIFICATE_EXPIRED"],
    ["not yet valid", () => extra.notYetValid!.pem, "CERT_NOT_YET_VALID", "CERTIFICATE_INVALID"],
    ["signed by a same-name rogue CA", () => extra.rogue!.pem, "CERT_UNTRUSTED", "CERTIFICATE_INVALID"],
    ["a QSealC", () => pki.tpps["tpp-qseal"].pem, "CERT_NOT_QWAC", "CERTIFICATE_INVALID"],
    ["a plain TLS certificate", () => extra.plain!.pem, "CERT_NOT_QWAC", "CERTIFICATE_INVALID"],
    ["without QcCompliance", () => extra.noQcCompliance!.pem, "CERT_NOT_QWAC", "CERTIFICATE_INVALID"],
    [
      "a role name that contradicts its OID",
      () => extra.roleMismatch!.pem,
      "CERT_ROLE_MISMATCH",
      "CERTIFICATE_INVALID",
    ],
    [
      "an organizationIdentifier not in PSD2 form",
      () => extra.badOrgId!.pem,
      "CERT_ORG_ID_INVALID",
      "CERTIFICATE_INVALID",
    ],
    [
      "an organizationIdentifier of another NCA",
      () => extra.orgIdOtherNca!.pem,
      "CERT_ORG_ID_INVALID",
      "CERTIFICATE_INVALID",
    ],
    [
      "a version 1 certificate with extensions",
      () => extra.v1WithExtensions!.pem,
      "CERT_MALFORMED",
      "CERTIFICATE_INVALID",
    ],
    [
      "a version 2 certificate with extensions",
      () => extra.v2WithExtensions!.pem,
      "CERT_MALFORMED",
      "CERTIFICATE_INVALID",
    ],
    [
      "a trusted certificate with an undecodable extension",
      () => extra.brokenExtension!.pem,
      "CERT_MALFORMED",
      "CERTIFICATE_INVALID",
    ],
  ];
  for (const [name, pem, reason, code] of cases) {
    it(`denies ${name}: ${reason}`, async () => {
      const result = await decide({ path: "/v1/accounts", certPem: pem() });
      expect(result.code).not.toBe(0);
      expect(result.http).toBe(401);
      expect(result.reason).toBe(reason);
      expect(result.body).toEqual({ tppMessages: [{ category: "ERROR", code, text: expect.any(String) }] });
      expect(headerValue(result.response, "content-type")).toBe("application/json");
      expect(result.response.ok_response).toBeUndefined();
    });
  }

  it("denies no certificate on a protected path with CERTIFICATE_MISSING", async () => {
    const result = await decide({ path: "/v1/accounts" });
    expect(result.http).toBe(401);
    expect(result.body.tppMessages[0].code).toBe("CERTIFICATE_MISSING");
  });

  it("denies an unknown route without a certificate as missing certificate, revealing no route table", async () => {
    const result = await decide({ path: "/internal/admin" });
    expect(result.reason).toBe("CERT_MISSING");
  });

  it("denies an unknown route for a valid TPP with ROUTE_NOT_ALLOWED (default deny)", async () => {
    const result = await decide({ path: "/internal/admin", certPem: pki.tpps["tpp-all"].pem });
    expect(result.http).toBe(400);
    expect(result.reason).toBe("ROUTE_NOT_ALLOWED");
    expect(result.body.tppMessages[0].code).toBe("SERVICE_INVALID");
  });
});

/** Removes `count` base64 characters from the middle of the PEM body, keeping the armour intact. */
function cutMiddle(pem: string, count: number): string {
  const middle = Math.floor(pem.length / 2);
  const cut = pem.slice(0, middle) + pem.slice(middle + count);
  expect(cut).not.toBe(pem);
  return cut;
}

describe("hostile input is a denial with a reason, and the service keeps serving", () => {
  const pem = () => pki.tpps["tpp-ai"].pem;
  const inputs: [string, () => string][] = [
    ["garbage", () => "not a certificate at all"],
    ["a truncated PEM", () => encodeURIComponent(pem().slice(0, 300))],
    ["a PEM with 40 base64 characters cut out", () => encodeURIComponent(cutMiddle(pem(), 40))],
    ["bad percent-encoding", () => `${encodeURIComponent(pem()).slice(0, 50)}%ZZ%`],
    ["invalid UTF-8 after decoding", () => `%C0%AE${encodeURIComponent(pem())}`],
    ["1 MB of data", () => "A".repeat(1024 * 1024)],
    ["two certificates where Envoy sends one", () => encodeURIComponent(pem() + pem())],
    [
      "a valid PEM wrapper around random bytes",
      () =>
        encodeURIComponent(
          `-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END CERTIFICATE-----\n`,
        ),
    ],
  ];
  for (const [name, raw] of inputs) {
    it(`denies ${name} with CERT_MALFORMED`, async () => {
      const result = await decide({ path: "/v1/accounts", rawCertificate: raw() });
      expect(result.http).toBe(401);
      expect(result.reason).toBe("CERT_MALFORMED");
      const after = await decide({ path: "/v1/accounts", certPem: pem() });
      expect(after.code).toBe(0);
    });
  }

  const paths = [
    "/v1/accounts/../payments/sepa-credit-transfers",
    "/v1/accounts/%2e%2e/payments",
    "/v1/accounts%2F..%2Fpayments",
    "/v1//accounts",
    "/v1/accounts/%00",
    "/v1/accounts\\..\\payments",
    "/v1/acc%zzounts",
    // No client sends a fragment; cutting it would judge this as /v1/funds-confirmations.
    "/v1/funds-confirmations#/../accounts",
  ];
  for (const path of paths) {
    it(`denies the path ${JSON.stringify(path)} with PATH_INVALID, before looking at roles`, async () => {
      const result = await decide({ path, method: "POST", certPem: pki.tpps["tpp-all"].pem });
      expect(result.http).toBe(400);
      expect(result.reason).toBe("PATH_INVALID");
    });
  }

  it("matches on the path only: a query string cannot change the route", async () => {
    const result = await decide({
      method: "POST",
      path: "/v1/consents?x=/v1/payments/sepa-credit-transfers",
      certPem: pki.tpps["tpp-pi"].pem,
    });
    expect(result.reason).toBe("ROLE_NOT_ALLOWED");
  });
});

describe("per-route roles from Envoy context_extensions", () => {
  it("replaces the policy's roles for the route", async () => {
    const ext = { tpp_roles: "PSP_PI" };
    const ai = await decide({
      path: "/v1/accounts",
      certPem: pki.tpps["tpp-ai"].pem,
      contextExtensions: ext,
    });
    const pi = await decide({
      path: "/v1/accounts",
      certPem: pki.tpps["tpp-pi"].pem,
      contextExtensions: ext,
    });
    expect(ai.reason).toBe("ROLE_NOT_ALLOWED");
    expect(pi.code).toBe(0);
  });

  it("fails closed on an unknown role name in the extension", async () => {
    const result = await decide({
      path: "/v1/accounts",
      certPem: pki.tpps["tpp-all"].pem,
      contextExtensions: { tpp_roles: "PSP_AI,ADMIN" },
    });
    expect(result.reason).toBe("ROUTE_NOT_ALLOWED");
  });
});

describe("Checks that arrive together", () => {
  it("answers each Check of one turn with its own verdict", async () => {
    const kinds = [
      { tpp: "tpp-ai", path: "/v1/accounts", org: "PSDFR-ACPR-10001" },
      { tpp: "tpp-pi", path: "/v1/accounts", reason: "ROLE_NOT_ALLOWED" },
      { tpp: "tpp-pi", path: "/v1/payments/sepa-credit-transfers", org: "PSDDE-BAFIN-20002" },
      { tpp: "tpp-ai", path: "/v1/no-such-family", reason: "ROUTE_NOT_ALLOWED" },
    ] as const;
    const sent = Array.from({ length: 24 }, (_, i) => kinds[(i * 7) % kinds.length]!);
    const request = (kind: (typeof kinds)[number], i: number) =>
      checkRequest({
        method: kind.path.startsWith("/v1/payments") ? "POST" : "GET",
        path: kind.path,
        certPem: pki.tpps[kind.tpp].pem,
        requestId: `batch-${i}`,
      });
    // Warm: every certificate verified once, so the Checks below are answered from the caches.
    for (const kind of kinds) await gk.check(request(kind, 0));
    const answers = await Promise.all(sent.map((kind, i) => gk.check(request(kind, i))));
    answers.forEach((answer, i) => {
      const kind = sent[i]!;
      if ("org" in kind) {
        expect(answer.status.code, `Check ${i}`).toBe(0);
        expect(headerValue(answer, "x-tpp-organization-id"), `Check ${i}`).toBe(kind.org);
      } else {
        expect(headerValue(answer, "x-authz-reason"), `Check ${i}`).toBe(kind.reason);
        expect(headerValue(answer, "x-request-id"), `Check ${i}`).toBe(`batch-${i}`);
      }
    });
  });
});
