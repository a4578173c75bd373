import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate, psd2Roles } from "../../src/demo/certificate_factory.js";
import { createRevocationChecker } from "../../src/revocation/checker.js";
import { revocationConfigSchema } from "../../src/revocation/config.js";
import type { RevocationChecker } from "../../src/revocation/revocation.js";
import { PATH, type RevocationLab, startRevocationLab } from "../revocation/lab.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { type RunningGatekeeper, startGatekeeper } from "../support/gatekeeper.js";

const POLICY = "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n";

let lab: RevocationLab;
const qwacs: Record<string, string> = {};
const opened: { gk: RunningGatekeeper; checker: RevocationChecker }[] = [];

/** A QWAC issued by the lab's openssl CA, with the lab's OCSP responder (or `ocspUrl`) in its AIA. */
async function labQwac(name: string, ocspUrl: string, record: "valid" | "keyCompromise" | "hold") {
  const issued = await issueCertificate({
    subject: `CN=${name}, O=${name} SAS, 2.5.4.97=PSDFR-ACPR-${name.length}, C=FR`,
    issuer: await lab.ca.signer(),
    aiaOcspUrl: ocspUrl,
    qc: { psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
  });
  const recorded = await lab.ca.recordValid(name, issued.pem);
  if (record !== "valid") await lab.ca.revoke(recorded, record);
  return issued.pem;
}

async function gatekeeper(failMode: "hard" | "soft") {
  const config = revocationConfigSchema.parse({ failMode, timeoutMs: 1000, fetchTimeoutMs: 2000 });
  const checker = createRevocationChecker(config);
  const gk = await startGatekeeper({ anchors: [lab.ca.cert.cert], policyYaml: POLICY, revocation: checker });
  opened.push({ gk, checker });
  return gk;
}

beforeAll(async () => {
  lab = await startRevocationLab();
  qwacs.good = await labQwac("good-qwac", lab.server.url(PATH.ocsp), "valid");
  qwacs.revoked = await labQwac("revoked-qwac", lab.server.url(PATH.ocsp), "keyCompromise");
  qwacs.hold = await labQwac("held-qwac", lab.server.url(PATH.ocsp), "hold");
  qwacs.responderDown = await labQwac("down-qwac", lab.downUrl, "valid");
}, 120_000);

afterAll(async () => {
  for (const { gk, checker } of opened) {
    await gk.close();
    await checker.close();
  }
  await lab?.close();
});

describe("revocation through the whole Check, with a real openssl OCSP responder", () => {
  it("allows a QWAC the responder says is good", async () => {
    const gk = await gatekeeper("hard");
    const response = await gk.check(checkRequest({ path: "/v1/accounts", certPem: qwacs.good! }));
    expect(response.status.code).toBe(0);
    expect(headerValue(response, "x-tpp-revocation")).toBeUndefined();
  });

  it("denies a revoked QWAC with 401 CERTIFICATE_REVOKE, the OpenAPI file's spelling", async () => {
    const gk = await gatekeeper("hard");
    const response = await gk.check(checkRequest({ path: "/v1/accounts", certPem: qwacs.revoked! }));
    expect(response.denied_response?.status.code).toBe(401);
    expect(headerValue(response, "x-authz-reason")).toBe("CERT_REVOKED");
    expect(JSON.parse(response.denied_response!.body).tppMessages[0].code).toBe("CERTIFICATE_REVOKE");
  });

  it("denies a suspended (on hold) QWAC with CERTIFICATE_BLOCKED", async () => {
    const gk = await gatekeeper("hard");
    const response = await gk.check(checkRequest({ path: "/v1/accounts", certPem: qwacs.hold! }));
    expect(headerValue(response, "x-authz-reason")).toBe("CERT_ON_HOLD");
    expect(JSON.parse(response.denied_response!.body).tppMessages[0].code).toBe("CERTIFICATE_BLOCKED");
  });

  it("fails closed when the responder is down (hard, the default): 503 with Retry-After, not a certificate fault", async () => {
    const gk = await gatekeeper("hard");
    const response = await gk.check(
      checkRequest({
        path: "/v1/accounts",
        certPem: qwacs.responderDown!,
        headers: { "x-request-id": "tpp-77" },
      }),
    );
    expect(response.denied_response?.status.code).toBe(503);
    expect(response.status.code).toBe(14);
    expect(headerValue(response, "x-authz-reason")).toBe("REVOCATION_UNAVAILABLE");
    expect(headerValue(response, "retry-after")).toBe("5");
    expect(headerValue(response, "x-request-id")).toBe("tpp-77");
    const message = JSON.parse(response.denied_response!.body).tppMessages[0];
    expect(message).toMatchObject({ category: "ERROR", code: "SERVICE_UNAVAILABLE" });
  });

  it("allows but marks the request unchecked when the responder is down in soft mode", async () => {
    const gk = await gatekeeper("soft");
    const response = await gk.check(checkRequest({ path: "/v1/accounts", certPem: qwacs.responderDown! }));
    expect(response.status.code).toBe(0);
    expect(headerValue(response, "x-tpp-revocation")).toBe("unchecked");
  });
});
