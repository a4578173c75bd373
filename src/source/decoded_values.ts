import { LRUCache } from "lru-cache";
import type { Result } from "../result.js";

/** A typical entry: a 1.5-3 KiB encoded certificate, its DER and the small result object. */
const BYTES_PER_ENTRY = 8192;
const MAX_ENTRY_BYTES = 65_536;
/** What a cached decoded certificate holds besides its key (DER, hash, object overhead). */
const VALUE_BYTES = 2048;

/**
 * Decoded header values remembered by their exact encoded string, so a returning TPP costs one map lookup:
 * no percent-decoding, no structured-field parsing, no base64 and no hashing on the warm path. Only
 * successes are kept (the Result object itself, so a hit allocates nothing); a malformed value is decoded
 * again each time, which costs little and keeps junk from evicting good entries.
 */
export class DecodedValues<T> {
  private readonly decoded: LRUCache<string, Result<T> & { readonly ok: true }>;

  /**
   * Bounded in entries and in bytes: keys are whole header values, and a forwarded header (XFCC with junk
   * elements a client prepended) can be far larger than a certificate, so a count alone would not bound
   * memory. A value over MAX_ENTRY_BYTES is decoded every time instead of cached.
   */
  constructor(maxEntries: number) {
    this.decoded = new LRUCache({
      max: maxEntries,
      maxSize: maxEntries * BYTES_PER_ENTRY,
      maxEntrySize: MAX_ENTRY_BYTES,
      sizeCalculation: (_value, key) => key.length + VALUE_BYTES,
    });
  }

  get(encoded: string, decode: (encoded: string) => Result<T>): Result<T> {
    const known = this.decoded.get(encoded);
    if (known !== undefined) return known;
    const result = decode(encoded);
    if (result.ok) this.decoded.set(encoded, result);
    return result;
  }
}
