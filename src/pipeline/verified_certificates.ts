import { X509Certificate } from "@peculiar/x509";
import { LRUCache } from "lru-cache";
import { type HeaderList, identityHeaders, identityOf, type TppIdentity } from "../decision/identity.js";
import { type Denial, deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";
import type { Settled } from "../foundation/settled.js";
import { type QwacOptions, readQwac } from "../qwac/qwac.js";
import type { RevocationSubject } from "../revocation/revocation.js";
import { prepareChainSubject } from "../revocation/subject.js";
import type { PresentedCertificate } from "../source/decoding/presented_certificate.js";
import { verifyChain } from "../trust/chain.js";
import type { TrustStore } from "../trust/trust_store.js";
import type { ChainVerifier } from "../trust/trusted_lists/list_trust.js";

/**
 * Everything the warm path needs about a certificate that passed the QWAC and chain checks, and nothing
 * more: no parsed certificate and no Qwac object, only the identity, the headers built from it, the
 * revocation subject and the expiry. That is what keeps a cached TPP at a few KiB.
 */
export interface VerifiedCertificate {
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
  /**
   * Bound on the estimated bytes the cached verdicts hold (entrySize), besides the entry count. Default
   * DEFAULT_BYTES_PER_ENTRY per entry (the service passes its share of `cache.maxBytes`).
   */
  readonly maxBytes?: number;
  /** How long a failed verification is remembered, so a bad certificate is not re-verified per request. */
  readonly denialTtlMs: number;
  readonly onLookup?: (hit: boolean) => void;
  /** Trust from the EU trusted lists (src/trust/trusted_lists/); absent: trust.anchors only. */
  readonly chainVerifier?: ChainVerifier;
}

/** Longest denial detail a cached verdict keeps (it is answered and logged on every repeat). */
export const MAX_CACHED_DETAIL_CHARS = 200;
const DEFAULT_BYTES_PER_ENTRY = 8192;
/** Expired verdicts are swept at most this often, from the cold path (which is where a flood arrives). */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * The parse + chain result per presented certificate, in an LRU keyed by `cacheKey` (the leaf's SHA-256,
 * or leaf + offered chain) and bounded in entries and in bytes. A hit costs one map lookup and a clock
 * comparison: no ASN.1 parsing and no signature checks on the warm path.
 */
export class VerifiedCertificates {
  private readonly cache: LRUCache<string, Entry>;
  private readonly pending = new Map<string, Promise<Entry>>();
  private lastSweepMs = 0;
  private readonly shared = new SharedParts();

  constructor(private readonly options: VerifiedCertificatesOptions) {
    this.cache = new LRUCache<string, Entry>({
      max: options.maxEntries,
      maxSize: options.maxBytes ?? options.maxEntries * DEFAULT_BYTES_PER_ENTRY,
      sizeCalculation: entrySize,
    });
  }

  get size(): number {
    return this.cache.size;
  }

  /** Estimated bytes held by the cached verdicts (what `maxBytes` bounds). */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  /**
   * Returns the cached verdict when fresh at `now`, otherwise verifies once (concurrent callers share the
   * work). A verified answer tells the certificate's source (`chained`), which only then caches the
   * decoded form: a certificate that does not chain never occupies the decoded-certificate cache.
   */
  verify(presented: PresentedCertificate, now: Date): Settled<Result<VerifiedCertificate>> {
    const cached = this.cache.get(presented.cacheKey);
    const hit = cached !== undefined && isFresh(cached, now.getTime(), this.generation());
    this.options.onLookup?.(hit);
    if (hit) return answer(presented, cached);
    this.sweep(now.getTime());
    return this.verifyOnce(presented, now).then((entry) => answer(presented, entry));
  }

  /**
   * Drops every verdict that is no longer fresh: an expired denial would otherwise hold its slot (and
   * bytes) until the LRU evicted it. Runs on the cold path only, at most once per SWEEP_INTERVAL_MS.
   */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < SWEEP_INTERVAL_MS) return;
    this.lastSweepMs = nowMs;
    const stale: string[] = [];
    for (const [key, entry] of this.cache.entries())
      if (!isFresh(entry, nowMs, this.generation())) stale.push(key);
    for (const key of stale) this.cache.delete(key);
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
      denial: compactDenial(denial),
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
    if (!leaf.ok) return denied(leaf.error);
    const offered = presented.offered.map(parseCertificate).flatMap((r) => (r.ok ? [r.value] : []));
    // The chain is checked first: "expired" or "untrusted" is a more useful answer than a QC detail, and
    // an untrusted certificate's QC statements are never decoded.
    const verifier = this.options.chainVerifier;
    const chain = verifier
      ? await verifier.verify(leaf.value, this.options.trust, { now, offered })
      : await verifyChain(leaf.value, this.options.trust, { now, offered });
    if (!chain.ok) return denied(chain.error);
    const qwac = readQwac(leaf.value, this.options.qwac);
    if (!qwac.ok) return denied(qwac.error);
    const revocation = prepareChainSubject(chain.value.path);
    if (!revocation.ok) return denied(revocation.error);
    const identity = this.shared.identity(identityOf(qwac.value, presented.sha256, leaf.value.issuer));
    return {
      verified: {
        identity,
        headers: this.shared.headers(identityHeaders(identity, this.options.headerPrefix)),
        revocation: this.shared.subject(revocation.value),
        validUntilMs: chain.value.validUntil.getTime(),
      },
    };
  }
}

/** Most distinct values SharedParts keeps per kind before it starts over (a bound, never reached in practice). */
const MAX_SHARED = 1024;

/**
 * Parts that thousands of cached verdicts have in common, kept once: the header names (one set per
 * prefix), the role lists, and the CertID hashes of the issuer (RFC 6960 §4.1.1: name and key hash
 * depend on the issuer only, so every leaf of a CA has the same four): memory that would otherwise grow
 * with every cached certificate (bench/results.md, "Design measurements"). Only verified certificates
 * get here, and every map is bounded, so an attacker cannot grow them.
 */
class SharedParts {
  private readonly strings = new Map<string, string>();
  private readonly roleLists = new Map<string, TppIdentity["roles"]>();
  private readonly certIds = new Map<string, RevocationSubject["certId"]>();

  identity(identity: TppIdentity): TppIdentity {
    const roles = shared(this.roleLists, identity.roles.join(","), identity.roles);
    return { ...identity, roles };
  }

  headers(headers: HeaderList): HeaderList {
    return headers.map(([name, value]) => [shared(this.strings, name, name), value] as const);
  }

  subject(subject: RevocationSubject): RevocationSubject {
    const { sha1, sha256 } = subject.certId;
    const key = [sha1.issuerNameHash, sha1.issuerKeyHash, sha256.issuerNameHash, sha256.issuerKeyHash]
      .map((hash) => Buffer.from(hash).toString("hex"))
      .join(":");
    return Object.freeze({ ...subject, certId: shared(this.certIds, key, subject.certId) });
  }
}

function shared<T>(map: Map<string, T>, key: string, value: T): T {
  const known = map.get(key);
  if (known !== undefined) return known;
  if (map.size >= MAX_SHARED) map.clear();
  map.set(key, value);
  return value;
}

/**
 * What a cached denial keeps: the reason and a short detail. Certificate names are attacker-chosen and
 * can be kilobytes (an RDN value may be up to the certificate limit), so every quoted name in a detail is
 * elided (the details quote names: `"CN=..."`) and the rest is capped. The certificate's SHA-256 is in
 * the log line already, so nothing is lost for the operator.
 */
export function compactDenial(denial: Denial): Denial {
  if (denial.detail === undefined) return denial;
  const unnamed = denial.detail.replace(/"[^"]*"/g, '"…"');
  const detail =
    unnamed.length <= MAX_CACHED_DETAIL_CHARS ? unnamed : `${unnamed.slice(0, MAX_CACHED_DETAIL_CHARS - 1)}…`;
  return detail === denial.detail ? denial : deny(denial.reason, detail);
}

/** Fixed cost of an entry beyond its strings: LRU slots, the entry and result objects, hashes, arrays. */
const ENTRY_BYTES = 256;
const VERIFIED_BYTES = 1536;

/**
 * The bytes an entry holds, estimated from its strings (the key and the strings a verdict keeps) plus a
 * measured fixed part (bench/memory-results.md). An estimate, not a heap walk: it only has to grow with
 * what an attacker can make big, so that `maxBytes` bounds memory whatever the certificates look like.
 */
function entrySize(entry: Entry, key: string): number {
  if ("denial" in entry) return ENTRY_BYTES + key.length + (entry.denial.detail?.length ?? 0) * 2;
  const { headers, revocation } = entry.verified;
  let strings = key.length + revocation.key.length + revocation.issuerSubject.length;
  for (const [name, value] of headers) strings += name.length + value.length;
  for (const url of [...revocation.ocspUrls, ...revocation.crlUrls]) strings += url.length;
  return ENTRY_BYTES + VERIFIED_BYTES + strings * 2;
}

function isFresh(entry: Entry, nowMs: number, generation: number): boolean {
  if (entry.generation !== generation) return false;
  return "verified" in entry ? nowMs <= entry.verified.validUntilMs : nowMs <= entry.untilMs;
}

function answer(presented: PresentedCertificate, entry: Entry): Result<VerifiedCertificate> {
  if (!("verified" in entry)) return fail(entry.denial);
  presented.chained();
  return ok(entry.verified);
}

function parseCertificate(der: Buffer): Result<X509Certificate> {
  try {
    return ok(new X509Certificate(der));
  } catch (error) {
    return fail(deny("CERT_MALFORMED", `not an X.509 certificate: ${(error as Error).message}`));
  }
}
