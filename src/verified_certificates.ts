import { X509Certificate } from "@peculiar/x509";
import { LRUCache } from "lru-cache";
import { type HeaderList, identityHeaders, identityOf, type TppIdentity } from "./decision/identity.js";
import { type Qwac, type QwacOptions, readQwac } from "./qwac/qwac.js";
import { type Denial, deny } from "./reasons.js";
import { fail, ok, type Result } from "./result.js";
import type { RevocationSubject } from "./revocation/revocation.js";
import { prepareSubject } from "./revocation/subject.js";
import type { Settled } from "./settled.js";
import type { PresentedCertificate } from "./source/presented_certificate.js";
import { type TrustStore, verifyChain } from "./trust/chain.js";
import type { ChainVerifier } from "./trust/trusted_lists/list_trust.js";

/** Everything the warm path needs about a certificate that passed the QWAC and chain checks. */
export interface VerifiedCertificate {
  readonly qwac: Qwac;
  readonly identity: TppIdentity;
  /** Identity headers for the configured prefix, built once. */
  readonly headers: HeaderList;
  readonly revocation: RevocationSubject;
  /** Earliest notAfter on the chain, epoch ms: the entry is never used past it. */
  readonly validUntilMs: number;
}

type Verdict =
  | { readonly verified: VerifiedCertificate }
  | { readonly denial: Denial; readonly untilMs: number };
/** `generation`: of the trusted lists the verdict was taken under (always 0 without them). */
type Entry = Verdict & { readonly generation: number };

export interface VerifiedCertificatesOptions {
  readonly trust: TrustStore;
  readonly qwac: QwacOptions;
  readonly headerPrefix: string;
  readonly maxEntries: number;
  /** How long a failed verification is remembered, so a bad certificate is not re-verified per request. */
  readonly denialTtlMs: number;
  readonly onLookup?: (hit: boolean) => void;
  /** Trust from the EU trusted lists (src/trust/trusted_lists/); absent: trust.anchors only. */
  readonly chainVerifier?: ChainVerifier;
}

/**
 * The parse + chain result per presented certificate, in a bounded LRU keyed by `cacheKey` (the leaf's
 * SHA-256, or leaf + offered chain). A hit costs one map lookup and a clock comparison: no ASN.1 parsing
 * and no signature checks on the warm path.
 */
export class VerifiedCertificates {
  private readonly cache: LRUCache<string, Entry>;
  private readonly pending = new Map<string, Promise<Entry>>();

  constructor(private readonly options: VerifiedCertificatesOptions) {
    this.cache = new LRUCache<string, Entry>({ max: options.maxEntries });
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * Returns the cached verdict when fresh at `now`, otherwise verifies once (concurrent callers share the
   * work).
   */
  verify(presented: PresentedCertificate, now: Date): Settled<Result<VerifiedCertificate>> {
    const cached = this.cache.get(presented.cacheKey);
    const hit = cached !== undefined && isFresh(cached, now.getTime(), this.generation());
    this.options.onLookup?.(hit);
    if (hit) return toResult(cached);
    return this.verifyOnce(presented, now).then(toResult);
  }

  /** A verdict taken under other trusted lists is stale: one integer compare on the warm path. */
  private generation(): number {
    return this.options.chainVerifier?.generation ?? 0;
  }

  private verifyOnce(presented: PresentedCertificate, now: Date): Promise<Entry> {
    const inFlight = this.pending.get(presented.cacheKey);
    if (inFlight !== undefined) return inFlight;
    const work = this.verifyCold(presented, now)
      .then((entry) => {
        this.cache.set(presented.cacheKey, entry);
        return entry;
      })
      .finally(() => this.pending.delete(presented.cacheKey));
    this.pending.set(presented.cacheKey, work);
    return work;
  }

  /**
   * Any exception from the certificate libraries (a malformed extension is decoded lazily, on first
   * access) becomes a cached CERT_MALFORMED: a hostile certificate is refused like any other bad one,
   * never an RPC error, and not parsed again on every request.
   */
  private async verifyCold(presented: PresentedCertificate, now: Date): Promise<Entry> {
    const generation = this.generation();
    const denied = (denial: Denial): Verdict => ({
      denial,
      untilMs: now.getTime() + this.options.denialTtlMs,
    });
    try {
      return { ...(await this.verifyParsed(presented, now, denied)), generation };
    } catch (error) {
      return {
        ...denied(deny("CERT_MALFORMED", `undecodable certificate: ${(error as Error).message}`)),
        generation,
      };
    }
  }

  private async verifyParsed(
    presented: PresentedCertificate,
    now: Date,
    denied: (denial: Denial) => Verdict,
  ): Promise<Verdict> {
    const leaf = parseCertificate(presented.der);
    if (!leaf.ok) return denied(leaf.denial);
    const offered = presented.offered.map(parseCertificate).flatMap((r) => (r.ok ? [r.value] : []));
    // The chain is checked first: "expired" or "untrusted" is a more useful answer than a QC detail, and
    // an untrusted certificate's QC statements are never decoded.
    const verifier = this.options.chainVerifier;
    const chain = verifier
      ? await verifier.verify(leaf.value, this.options.trust, { now, offered })
      : await verifyChain(leaf.value, this.options.trust, { now, offered });
    if (!chain.ok) return denied(chain.denial);
    const qwac = readQwac(leaf.value, this.options.qwac);
    if (!qwac.ok) return denied(qwac.denial);
    const revocation = prepareSubject(leaf.value, chain.value.issuer);
    if (!revocation.ok) return denied(revocation.denial);
    const identity = identityOf(qwac.value, presented.sha256);
    return {
      verified: {
        qwac: qwac.value,
        identity,
        headers: identityHeaders(identity, this.options.headerPrefix),
        revocation: revocation.value,
        validUntilMs: chain.value.validUntil.getTime(),
      },
    };
  }
}

function isFresh(entry: Entry, nowMs: number, generation: number): boolean {
  if (entry.generation !== generation) return false;
  return "verified" in entry ? nowMs <= entry.verified.validUntilMs : nowMs <= entry.untilMs;
}

function toResult(entry: Entry): Result<VerifiedCertificate> {
  return "verified" in entry ? ok(entry.verified) : fail(entry.denial);
}

function parseCertificate(der: Buffer): Result<X509Certificate> {
  try {
    return ok(new X509Certificate(der));
  } catch (error) {
    return fail(deny("CERT_MALFORMED", `not an X.509 certificate: ${(error as Error).message}`));
  }
}
