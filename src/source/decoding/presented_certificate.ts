import { createHash } from "node:crypto";
import type { Result } from "../../foundation/result.js";

/** A certificate as it arrived, decoded to DER but not yet parsed. */
export interface PresentedCertificate {
  readonly der: Buffer;
  /** SHA-256 of the leaf's DER, lower-case hex: the identity the upstream sees (`cert-sha256`). */
  readonly sha256: string;
  /** Untrusted certificates sent along with the leaf (e.g. an XFCC Chain), DER, leaf excluded. */
  readonly offered: readonly Buffer[];
  /**
   * Key of the parse + chain verdict: the leaf's SHA-256 alone, or, when certificates were offered, the
   * SHA-256 over the leaf and every offered DER in order. A path built from one offered chain can differ
   * from the path built from another (or from none), so a verdict is never reused across chains.
   */
  readonly cacheKey: string;
  /** Where it came from, for the log and the audit trail. */
  readonly via: CertificateOrigin;
  /**
   * Called by the verdict cache each time it answers "verified" for this certificate. The source that
   * decoded it caches the decoded form only then (admitWhenChained), so a flood of certificates that
   * chain to no trust anchor never fills the decoded-certificate cache. A no-op once cached.
   */
  readonly chained: () => void;
}

export type CertificateOrigin = "peer" | "xfcc" | "client-cert" | "header";

export function presented(
  der: Buffer,
  via: CertificateOrigin,
  offered: readonly Buffer[] = [],
): PresentedCertificate {
  const sha256 = createHash("sha256").update(der).digest("hex");
  const leaf = owned(der);
  const chain = offered.map(owned);
  return {
    der: leaf,
    sha256,
    offered: chain.length === 0 ? NOTHING_OFFERED : chain,
    cacheKey: chain.length === 0 ? sha256 : chainKey(leaf, chain),
    via,
    chained: alreadyKept,
  };
}

function alreadyKept(): void {}

/** One empty list for every certificate that came alone (most of them): nothing to allocate per entry. */
const NOTHING_OFFERED: readonly Buffer[] = Object.freeze([]);

/**
 * The Admission (decoded_values.ts) for certificates: the copy handed out keeps its lean form once the
 * verdict cache says it verified.
 */
export function admitWhenChained(
  value: PresentedCertificate,
  keep: (kept: PresentedCertificate) => void,
  decodeAgain: () => Result<PresentedCertificate>,
): PresentedCertificate {
  return { ...value, chained: () => keep(lean(value, decodeAgain)) };
}

/**
 * What a decoded-certificate cache keeps: the hashes and the origin, without the DER. The warm path reads
 * only the cache key (its verdict is cached); the DER is needed again only when the verdict has left its
 * cache, and is then decoded again from the encoded value, which the cache keeps anyway to confirm a hit.
 * Saves the DER and its buffer for every cached certificate (bench/results.md, "Design measurements").
 */
function lean(
  value: PresentedCertificate,
  decodeAgain: () => Result<PresentedCertificate>,
): PresentedCertificate {
  const decoded = (): PresentedCertificate => {
    const again = decodeAgain();
    // Decoding is deterministic: this cannot differ from the first time. Thrown, it would become a
    // CERT_MALFORMED verdict (verified_certificates.ts), never an allow.
    if (!again.ok) throw new Error(`certificate decoded differently: ${again.error.reason}`);
    return again.value;
  };
  return {
    sha256: value.sha256,
    cacheKey: value.cacheKey,
    via: value.via,
    chained: alreadyKept,
    get der() {
      return decoded().der;
    },
    get offered() {
      return decoded().offered;
    },
  };
}

/**
 * A copy in memory of its own. A small Buffer decoded from base64 is a slice of Node's shared 8 KiB pool,
 * and a cached slice keeps the whole slab alive, with whatever short-lived bytes were decoded next to it
 * (what that cost: bench/results.md, "Design measurements").
 */
function owned(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

/** DER values are self-delimiting (outer length checked on decoding), so plain concatenation is unambiguous. */
function chainKey(leaf: Buffer, offered: readonly Buffer[]): string {
  const hash = createHash("sha256").update(leaf);
  for (const der of offered) hash.update(der);
  return `chain:${hash.digest("hex")}`;
}
