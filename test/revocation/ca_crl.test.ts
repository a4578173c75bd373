import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRevocationChecker } from "../../src/revocation/checker.js";
import { revocationConfigSchema } from "../../src/revocation/config.js";
import {
  type RevocationChecker,
  type RevocationStatus,
  revocationDenial,
} from "../../src/revocation/revocation.js";
import { prepareChainSubject } from "../../src/revocation/subject.js";
import type { IssuedCert } from "../support/openssl_ca.js";
import { CHAIN_PATH, type ChainLab, startChainLab } from "./chain_lab.js";

/**
 * CRLs limited by issuingDistributionPoint to CA certificates (an ARL, onlyContainsCACerts) or to
 * end-entity certificates (onlyContainsUserCerts), from `openssl ca -gencrl -crlexts`: RFC 5280 6.3.3
 * (b)(2)(ii)-(iii) lets each answer only for the certificates whose basicConstraints cA matches.
 */

let lab: ChainLab;
let leaf: IssuedCert;
const checkers: RevocationChecker[] = [];

beforeAll(async () => {
  lab = await startChainLab();
  // From the issuing CA (its root-signed certificate), with the issuing CA's CRL in its CDP.
  leaf = await lab.issuing.issue("tpp", "leaf-crl-only");
}, 120_000);

afterEach(async () => {
  for (const checker of checkers.splice(0)) await checker.close();
});

afterAll(async () => {
  await lab?.close();
});

type Only = "ca" | "user" | undefined;

/** Serves the root's and the issuing CA's CRLs, each complete or limited as given. */
async function serve(root: Only, issuing: Only): Promise<void> {
  const route = (body: Uint8Array) => ({ kind: "bytes", body, contentType: "application/pkix-crl" }) as const;
  lab.server.route(CHAIN_PATH.rootCrl, route(await lab.root.crl({ hours: 24 }, root)));
  lab.server.route(CHAIN_PATH.issuingCrl, route(await lab.issuing.crl({ hours: 24 }, issuing)));
}

/** The leaf's combined status (the leaf and the issuing CA), hard mode, with a fresh checker. */
async function leafStatus(): Promise<RevocationStatus> {
  const checker = createRevocationChecker(
    revocationConfigSchema.parse({ failMode: "hard", timeoutMs: 2000, fetchTimeoutMs: 2000 }),
  );
  checkers.push(checker);
  const subject = prepareChainSubject([leaf.cert, lab.issuingCert.cert, lab.root.cert.cert]);
  if (!subject.ok) throw new Error(subject.error.detail);
  return checker.check(subject.value, new Date());
}

// In order: the issuing CA is good first, then the root revokes it.
describe("CRLs limited to CA or to end-entity certificates (RFC 5280 6.3.3 (b)(2))", () => {
  it("answers for the issuing CA from the root's CA-only CRL (ARL)", async () => {
    await serve("ca", undefined);
    expect(await leafStatus()).toMatchObject({ status: "good", source: "crl" });
  });

  it("answers for the leaf from its CA's user-only CRL", async () => {
    await serve(undefined, "user");
    expect(await leafStatus()).toMatchObject({ status: "good", source: "crl" });
  });

  it("never uses a CA-only CRL for a leaf", async () => {
    await serve(undefined, "ca");
    const status = await leafStatus();
    expect(status).toMatchObject({ status: "unavailable", code: "unsupported" });
    expect(status).not.toHaveProperty("ca");
    expect(status.status === "unavailable" ? status.detail : "").toMatch(/only CA certificates/);
    expect(revocationDenial(status)?.reason).toBe("REVOCATION_UNAVAILABLE");
  });

  it("never uses a user-only CRL for a CA", async () => {
    await serve("user", undefined);
    const status = await leafStatus();
    expect(status).toMatchObject({
      status: "unavailable",
      code: "unsupported",
      ca: lab.issuingCert.cert.subject,
    });
    expect(status.status === "unavailable" ? status.detail : "").toMatch(/only end-entity certificates/);
    expect(revocationDenial(status)?.reason).toBe("REVOCATION_UNAVAILABLE");
  });

  it("denies the leaf CERT_REVOKED when the root's CA-only CRL lists its issuing CA as revoked", async () => {
    await lab.revokeIssuingCa();
    await serve("ca", undefined);
    const status = await leafStatus();
    expect(status).toMatchObject({
      status: "revoked",
      revocationReason: "cACompromise",
      ca: lab.issuingCert.cert.subject,
    });
    const denial = revocationDenial(status);
    expect(denial?.reason).toBe("CERT_REVOKED");
    expect(denial?.detail).toContain("Test QTSP Issuing CA");
  });
});
