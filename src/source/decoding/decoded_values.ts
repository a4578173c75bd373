import { LRUCache } from "lru-cache";
import { ok, type Result } from "../../foundation/result.js";

/** A cache's two bounds: entries, and the estimated bytes its entries hold. */
export interface CacheLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/** A value over this many characters is decoded every time instead of cached. */
const MAX_ENTRY_BYTES = 65_536;
/**
 * What a cached decoded value holds besides its encoded form: for a certificate, two hex hashes, the
 * objects and the LRU slot (its DER is not kept: presented_certificate.ts, `lean`).
 */
const VALUE_BYTES = 1024;
/**
 * Length of the lookup key taken from the end of a value. The end of an encoded certificate is its
 * signature (base64 or percent-encoded PEM), which differs between any two certificates.
 */
const PROBE_CHARS = 128;

/**
 * When a decoded value may be cached, and in what form. Called with the freshly decoded value, `keep`,
 * which stores the form given, and `decodeAgain` (the same decoding of the same value, for a kept form
 * that dropped what it can recompute); returns the value to hand out (for certificates, a copy whose
 * `chained` calls `keep`). Without an admission every successful decode is cached at once, as decoded.
 */
export type Admission<T> = (value: T, keep: (kept: T) => void, decodeAgain: () => Result<T>) => T;

/** A decoded value by the exact text it was decoded from. */
interface DecodedEntry<T> {
  readonly encoded: string;
  readonly result: Result<T> & { readonly ok: true };
}

/**
 * Decoded header values remembered by their exact encoded string, so a returning TPP costs one map lookup:
 * no percent-decoding, no structured-field parsing, no base64 and no hashing on the warm path. Only
 * successes are kept (the Result object itself, so a hit allocates nothing), and with an Admission only
 * once admitted; a malformed or not yet admitted value is decoded again each time, which costs little and
 * keeps junk from evicting good entries.
 *
 * The map is keyed by the value's last PROBE_CHARS characters and a hit is confirmed by comparing the whole
 * value: a Map lookup hashes its key, and hashing the fresh certificate string of every request was the warm
 * path's largest cost (bench/results.md, "Design measurements"). Two values sharing a tail only share a slot
 * (each decode replaces the other); they are never confused.
 */
export class DecodedValues<T> {
  private readonly decoded: LRUCache<string, DecodedEntry<T>>;

  /**
   * Bounded in entries and in bytes: keys are whole header values, and a forwarded header (XFCC with junk
   * elements a client prepended) can be far larger than a certificate, so a count alone would not bound
   * memory. A value over MAX_ENTRY_BYTES is never cached.
   */
  constructor(
    limits: CacheLimits,
    private readonly admission?: Admission<T>,
  ) {
    this.decoded = new LRUCache({
      max: limits.maxEntries,
      maxSize: limits.maxBytes,
      maxEntrySize: MAX_ENTRY_BYTES,
      // Strings of a header value are one byte per character (Latin-1); a two-byte string costs double,
      // which the estimate tolerates: it bounds, it does not account.
      sizeCalculation: (known) => known.encoded.length + VALUE_BYTES,
    });
  }

  get size(): number {
    return this.decoded.size;
  }

  /** Estimated bytes held (what `maxBytes` bounds). */
  get bytes(): number {
    return this.decoded.calculatedSize;
  }

  get(encoded: string, decode: (encoded: string) => Result<T>): Result<T> {
    const probe = encoded.length <= PROBE_CHARS ? encoded : encoded.slice(-PROBE_CHARS);
    const known = this.decoded.get(probe);
    if (known !== undefined && known.encoded === encoded) return known.result;
    const result = decode(encoded);
    if (!result.ok) return result;
    if (this.admission === undefined) {
      this.decoded.set(probe, { encoded, result });
      return result;
    }
    const keep = (kept: T) => this.decoded.set(probe, { encoded, result: { ok: true, value: kept } });
    return ok(this.admission(result.value, keep, () => decode(encoded)));
  }
}
