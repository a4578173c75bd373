import type { X509Certificate } from "@peculiar/x509";
import type { CertFacts } from "./cert_facts.js";
import { issuedBy, NOT_SIGNED } from "./signature.js";
import { indexBySubject, type PathCert, type StoreIndex, type SubjectIndex } from "./trust_store.js";

/**
 * Bounds on the search. The offered certificates come from the client, so without bounds a crafted set of
 * same-name certificates could make one request cost thousands of signature verifications.
 */
export const SEARCH_LIMITS = {
  /** Issuers above the leaf (intermediates + anchor). Real QTSP paths have 1 to 3. */
  maxIssuers: 8,
  maxSignatureChecks: 64,
  /** Offered certificates beyond this many are not looked at. */
  maxOffered: 16,
} as const;

/**
 * Depth-first enumeration of every path leaf -> ... -> anchor whose signatures all verify, preferred paths
 * first (an anchor before an intermediate at each step, then a key identifier match). Whether a path also
 * satisfies the validity and constraint rules is the caller's business: a path that fails them must not
 * hide an alternative (a cross-certificate, a re-keyed CA with the same name) that passes.
 */
export class PathFinder {
  private readonly offered: SubjectIndex;
  private signatureChecksLeft: number = SEARCH_LIMITS.maxSignatureChecks;
  private readonly verdicts = new Map<X509Certificate, Map<X509Certificate, boolean>>();
  private readonly refusals = new Set<string>();

  constructor(
    private readonly store: StoreIndex,
    offered: readonly X509Certificate[],
  ) {
    // Offered certificates are only ever intermediates: a client cannot bring its own anchor.
    this.offered = indexBySubject(offered.slice(0, SEARCH_LIMITS.maxOffered), false);
    if (offered.length > SEARCH_LIMITS.maxOffered) {
      this.refusals.add(`only the first ${SEARCH_LIMITS.maxOffered} offered certificates were considered`);
    }
  }

  /** Why branches were cut for reasons other than a plain signature mismatch, for the UNTRUSTED detail. */
  notes(): string[] {
    return [...this.refusals];
  }

  async *paths(leaf: PathCert): AsyncGenerator<readonly PathCert[]> {
    yield* this.extend([leaf]);
  }

  private async *extend(path: readonly PathCert[]): AsyncGenerator<readonly PathCert[]> {
    const child = path[path.length - 1]!;
    const candidates = this.candidates(child.facts);
    if (candidates.length > 0 && path.length > SEARCH_LIMITS.maxIssuers) {
      this.refusals.add(`paths longer than ${SEARCH_LIMITS.maxIssuers} issuers are not followed`);
      return;
    }
    for (const candidate of candidates) {
      if (path.some((onPath) => sameSubjectAndKey(onPath.facts, candidate.facts))) continue;
      if (!(await this.signed(child, candidate))) continue;
      const extended = [...path, candidate];
      if (candidate.anchor) yield extended;
      else yield* this.extend(extended);
    }
  }

  /** Anchors first (shortest paths), then store intermediates, then offered ones; each copy once. */
  private candidates(child: CertFacts): PathCert[] {
    const key = child.issuerKey;
    const all = [
      ...(this.store.anchors.get(key) ?? []),
      ...(this.store.intermediates.get(key) ?? []),
      ...(this.offered.get(key) ?? []),
    ];
    const seen = new Set<string>();
    const unique = all.filter((c) => !seen.has(c.facts.id) && seen.add(c.facts.id));
    const rank = keyIdRank(child);
    return unique.sort((a, b) => Number(b.anchor) - Number(a.anchor) || rank(a) - rank(b));
  }

  private async signed(child: PathCert, issuer: PathCert): Promise<boolean> {
    let byIssuer = this.verdicts.get(child.cert);
    if (byIssuer === undefined) {
      byIssuer = new Map();
      this.verdicts.set(child.cert, byIssuer);
    }
    const known = byIssuer.get(issuer.cert);
    if (known !== undefined) return known;
    if (this.signatureChecksLeft <= 0) {
      this.refusals.add(`search stopped after ${SEARCH_LIMITS.maxSignatureChecks} signature checks`);
      return false;
    }
    this.signatureChecksLeft--;
    const verdict = await issuedBy(child.cert, child.facts, issuer.cert);
    if (!verdict.ok && verdict.error !== NOT_SIGNED) this.refusals.add(verdict.error);
    byIssuer.set(issuer.cert, verdict.ok);
    return verdict.ok;
  }
}

/**
 * The authority key identifier (RFC 5280 §4.2.1.1) orders candidates: a match first, no identifier next,
 * a mismatch last. A mismatch is still tried because some CAs compute identifiers differently; the
 * signature decides.
 */
function keyIdRank(child: CertFacts): (candidate: PathCert) => number {
  return (candidate) => {
    const ski = candidate.facts.subjectKeyId;
    if (child.authorityKeyId === undefined || ski === undefined) return 1;
    return child.authorityKeyId === ski ? 0 : 2;
  };
}

/**
 * Loop prevention: a subject with the same key twice on one path is a cycle, even through different
 * certificates (mutual cross-certification). It also keeps an anchor that IS the leaf from anchoring it.
 */
function sameSubjectAndKey(a: CertFacts, b: CertFacts): boolean {
  return a.subjectKey === b.subjectKey && a.publicKeyId === b.publicKeyId;
}
