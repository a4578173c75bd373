import { LRUCache } from "lru-cache";
import type { Result } from "../result.js";

/** A typical entry: a 1.5-3 KiB encoded certificate, its DER and the small result object. */
const BYTES_PER_ENTRY = 8192;
const MAX_ENTRY_BYTES = 65_536;
/** What a cached decoded certificate holds besides its encoded form (DER, hash, object overhead). */
const VALUE_BYTES = 2048;
/**
 * Length of the lookup key taken from the end of a value. The end of an encoded certificate is its
 * signature (base64 or percent-encoded PEM), which differs between any two certificates.
 */
const PROBE_CHARS = 128;

interface Known<T> {
  readonly encoded: string;
  readonly result: Result<T> & { readonly ok: true };
}

/**
 * Decoded header values remembered by their exact encoded string, so a returning TPP costs one map lookup:
 * no percent-decoding, no structured-field parsing, no base64 and no hashing on the warm path. Only
 * successes are kept (the Result object itself, so a hit allocates nothing); a malformed value is decoded
 * again each time, which costs little and keeps junk from evicting good entries.
 *
 * The map is keyed by the value's last PROBE_CHARS characters and a hit is confirmed by comparing the
 * whole value: a Map lookup hashes its key, and hashing a fresh 2 KiB string on every request cost more
 * than the rest of the warm path. Two values sharing a tail only share a slot (each decode replaces the
 * other); they are never confused.
 */
export class DecodedValues<T> {
  private readonly decoded: LRUCache<string, Known<T>>;

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
      sizeCalculation: (known) => known.encoded.length + VALUE_BYTES,
    });
  }

  get(encoded: string, decode: (encoded: string) => Result<T>): Result<T> {
    const probe = encoded.length <= PROBE_CHARS ? encoded : encoded.slice(-PROBE_CHARS);
    const known = this.decoded.get(probe);
    if (known !== undefined && known.encoded === encoded) return known.result;
    const result = decode(encoded);
    if (result.ok) this.decoded.set(probe, { encoded, result });
    return result;
  }
}
