import type { X509Certificate } from "@peculiar/x509";
import { type Denial, deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";
import { type CertFacts, certFacts } from "./cert_facts.js";
import { checkPath } from "./path_rules.js";
import { PathFinder } from "./path_search.js";
import { type PathCert, storeIndex, type TrustStore } from "./trust_store.js";

/** A verified path from the leaf to an anchor. */
export interface ChainResult {
  /** leaf first, anchor last */
  readonly path: readonly X509Certificate[];
  /** The certificate that signed the leaf: what revocation needs. */
  readonly issuer: X509Certificate;
  readonly anchor: X509Certificate;
  /** The earliest notAfter on the path: no cached verdict may outlive it. */
  readonly validUntil: Date;
}

export interface ChainOptions {
  readonly now: Date;
  /** Extra untrusted certificates offered with the leaf (e.g. an XFCC Chain); never anchors. */
  readonly offered?: readonly X509Certificate[];
}

/**
 * Signature-complete paths examined before giving up. Each costs no cryptography (verdicts are
 * memoised), only the rule checks, but alternatives beyond a handful exist only in crafted input.
 */
const MAX_PATHS_EXAMINED = 8;

/**
 * Finds a path from `leaf` to an anchor of `store` on which every signature verifies and every RFC 5280
 * rule holds at `options.now`. When no path passes, the denial is the first rule broken on the most
 * preferred signature-complete path (CERT_EXPIRED, CERT_NOT_YET_VALID or CERT_CHAIN_INVALID), or
 * CERT_UNTRUSTED when no chain of signatures reaches an anchor at all. Never throws.
 */
export async function verifyChain(
  leaf: X509Certificate,
  store: TrustStore,
  options: ChainOptions,
): Promise<Result<ChainResult>> {
  try {
    const leafFacts = certFacts(leaf);
    if (!leafFacts.ok) return leafFacts;
    return await firstValidPath({ cert: leaf, facts: leafFacts.value, anchor: false }, store, options);
  } catch (error) {
    // Every step above is written not to throw; this keeps a parser surprise from escaping a request.
    return fail(
      deny("CERT_MALFORMED", `chain verification failed: ${error instanceof Error ? error.message : error}`),
    );
  }
}

async function firstValidPath(
  leaf: PathCert,
  store: TrustStore,
  options: ChainOptions,
): Promise<Result<ChainResult>> {
  const finder = new PathFinder(storeIndex(store), options.offered ?? []);
  let firstDenial: Denial | undefined;
  let examined = 0;
  for await (const path of finder.paths(leaf)) {
    const verdict = checkPath(
      path.map((step) => step.facts),
      options.now,
    );
    if (verdict.ok) return ok(chainResult(path, verdict.value));
    firstDenial ??= verdict.error;
    if (++examined >= MAX_PATHS_EXAMINED) break;
  }
  return fail(firstDenial ?? untrusted(leaf.facts, finder.notes()));
}

function chainResult(path: readonly PathCert[], validUntil: Date): ChainResult {
  const certs = path.map((step) => step.cert);
  return { path: certs, issuer: certs[1]!, anchor: certs[certs.length - 1]!, validUntil };
}

function untrusted(leaf: CertFacts, notes: readonly string[]): Denial {
  const why = notes.length === 0 ? "" : ` (${notes.join("; ")})`;
  return deny(
    "CERT_UNTRUSTED",
    `no verified path from "${leaf.subject}" (issuer "${leaf.issuer}") to a trust anchor${why}`,
  );
}
