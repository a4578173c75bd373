import { LRUCache } from "lru-cache";
import type { Result } from "../result.js";

/**
 * Decoded header values remembered by their exact encoded string, so a returning TPP costs one map lookup:
 * no percent-decoding, no structured-field parsing, no base64 and no hashing on the warm path. Only
 * successes are kept (the Result object itself, so a hit allocates nothing); a malformed value is decoded
 * again each time, which costs little and keeps junk from evicting good entries.
 */
export class DecodedValues<T> {
  private readonly decoded: LRUCache<string, Result<T> & { readonly ok: true }>;

  constructor(maxEntries: number) {
    this.decoded = new LRUCache({ max: maxEntries });
  }

  get(encoded: string, decode: (encoded: string) => Result<T>): Result<T> {
    const known = this.decoded.get(encoded);
    if (known !== undefined) return known;
    const result = decode(encoded);
    if (result.ok) this.decoded.set(encoded, result);
    return result;
  }
}
