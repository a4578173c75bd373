import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { X509Certificate } from "@peculiar/x509";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate, psd2Roles } from "../../src/demo/certificate_factory.js";
import { createRevocationChecker } from "../../src/revocation/checker.js";
import { revocationConfigSchema } from "../../src/revocation/config.js";
import { type RevocationChecker, revocationDenial } from "../../src/revocation/revocation.js";
import { prepareChainSubject } from "../../src/revocation/subject.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { type RunningGatekeeper, startGatekeeper } from "../support/gatekeeper.js";
import { openssl } from "../support/openssl_ca.js";
import { CHAIN_PATH, type ChainLab, crlPem, startChainLab } from "./chain_lab.js";

const POLICY = "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n";

let lab: ChainLab;
const leaves: { pem: string; cert: X509Certificate; file: string }[] = [];
const gatekeepers: RunningGatekeeper[] = [];
const checkers: RevocationChecker[] = [];

/** A QWAC from the issuing CA, with the issuing CA's CRL in its CDP (no OCSP URL). */
async function issuingCaQwac(name: string) {
  const issued = await issueCertificate({
    subject: `CN=${name}, O=${name} SAS, 2.5.4.97=PSDFR-ACPR-${name.length}, C=FR`,
    // The certificate the root signed, not the CA's self-signed one: the leaf's AKI must match it.
    issuer: { ...(await lab.issuing.signer()), cert: lab.issuingCert.cert },
    crlDistributionPointUrl: lab.server.url(CHAIN_PATH.issuingCrl),
    qc: { psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
  });
  const file = join(lab.dir, `${name}.pem`);
  await writeFile(file, issued.pem);
  return { pem: issued.pem, cert: issued.cert, file };
}

async function gatekeeper(failMode: "hard" | "soft") {
  const config = revocationConfigSchema.parse({ failMode, timeoutMs: 2000, fetchTimeoutMs: 2000 });
  const checker = createRevocationChecker(config);
  const gk = await startGatekeeper({
    anchors: [lab.root.cert.cert],
    intermediates: [lab.issuingCert.cert],
    policyYaml: POLICY,
    revocation: checker,
  });
  gatekeepers.push(gk);
  checkers.push(checker);
  return gk;
}

/** `openssl verify -crl_check_all` with both CRLs: openssl's own verdict on the same chain. */
async function opensslVerify(leafFile: string, crls: { root: Uint8Array; issuing: Uint8Array }) {
  await writeFile(join(lab.dir, "root-crl.pem"), crlPem(crls.root));
  await writeFile(join(lab.dir, "issuing-crl.pem"), crlPem(crls.issuing));
  const args = ["verify", "-crl_check_all", "-CAfile", lab.root.cert.certPath];
  args.push(
    "-untrusted",
    lab.issuingCert.certPath,
    "-CRLfile",
    "root-crl.pem",
    "-CRLfile",
    "issuing-crl.pem",
  );
  return openssl([...args, leafFile], lab.dir);
}

const accounts = (certPem: string) => checkRequest({ path: "/v1/accounts", certPem });

beforeAll(async () => {
  lab = await startChainLab();
  leaves.push(await issuingCaQwac("first-tpp"), await issuingCaQwac("second-tpp"));
}, 120_000);

afterEach(async () => {
  for (const gk of gatekeepers.splice(0)) await gk.close();
  for (const checker of checkers.splice(0)) await checker.close();
});

afterAll(async () => {
  await lab?.close();
});

// The tests run in order: the issuing CA is good first, then the root revokes it (cACompromise).
describe("revocation of the issuing CA (RFC 5280 6.3), with openssl CAs and CRLs", () => {
  it("allows leaves under a good issuing CA, fetching the root's CRL once for all of them", async () => {
    const crls = await lab.serveCrls();
    await expect(opensslVerify(leaves[0]!.file, crls)).resolves.toBeDefined();
    lab.server.resetHits();
    const gk = await gatekeeper("hard");
    const responses = await Promise.all(leaves.map((leaf) => gk.check(accounts(leaf.pem))));
    for (const response of responses) expect(response.status.code).toBe(0);
    expect(lab.server.hits(CHAIN_PATH.rootCrl)).toBe(1);
    expect(lab.server.hits(CHAIN_PATH.issuingCrl)).toBe(1);
    // Another leaf later: the issuing CA's status is a cache hit, nothing is fetched again.
    expect((await gk.check(accounts(leaves[1]!.pem))).status.code).toBe(0);
    expect(lab.server.hits(CHAIN_PATH.rootCrl)).toBe(1);
  });

  it("in soft mode allows, marked unchecked, when the issuing CA's status cannot be had", async () => {
    await lab.serveCrls();
    lab.server.route(CHAIN_PATH.rootCrl, { kind: "status", status: 503 });
    const soft = await gatekeeper("soft");
    const allowed = await soft.check(accounts(leaves[0]!.pem));
    expect(headerValue(allowed, "x-authz-reason")).toBeUndefined();
    expect(allowed.status.code).toBe(0);
    expect(headerValue(allowed, "x-tpp-revocation")).toBe("unchecked");
    const hard = await gatekeeper("hard");
    const denied = await hard.check(accounts(leaves[0]!.pem));
    expect(headerValue(denied, "x-authz-reason")).toBe("REVOCATION_UNAVAILABLE");
  });

  it("denies a leaf under an issuing CA that the root's CRL lists as revoked (cACompromise)", async () => {
    await lab.revokeIssuingCa();
    const crls = await lab.serveCrls();
    // openssl agrees: the same chain with the same CRLs is refused.
    await expect(opensslVerify(leaves[0]!.file, crls)).rejects.toThrow(/certificate revoked/);
    const gk = await gatekeeper("hard");
    const response = await gk.check(accounts(leaves[0]!.pem));
    expect(response.denied_response?.status.code).toBe(401);
    expect(headerValue(response, "x-authz-reason")).toBe("CERT_REVOKED");
    expect(JSON.parse(response.denied_response!.body).tppMessages[0].code).toBe("CERTIFICATE_REVOKE");
  });

  it("names the revoked CA in the denial's detail, and soft mode does not let it in either", async () => {
    await lab.serveCrls();
    const config = revocationConfigSchema.parse({ failMode: "soft", timeoutMs: 2000 });
    const checker = createRevocationChecker(config);
    checkers.push(checker);
    const path = [leaves[1]!.cert, lab.issuingCert.cert, lab.root.cert.cert];
    const subject = prepareChainSubject(path);
    if (!subject.ok) throw new Error(subject.error.detail);
    const status = await checker.check(subject.value, new Date());
    expect(status).toMatchObject({ status: "revoked", revocationReason: "cACompromise" });
    const denial = revocationDenial(status);
    expect(denial?.reason).toBe("CERT_REVOKED");
    expect(denial?.detail).toContain("Test QTSP Issuing CA");
  });
});
