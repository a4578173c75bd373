import { describe, expect, it } from "vitest";
import { ok, type Result } from "../../src/foundation/result.js";
import { DecodedValues } from "../../src/source/decoding/decoded_values.js";

const LIMITS = { maxEntries: 10, maxBytes: 1 << 20 };

/** A decoder that says which value it decoded and counts its calls. */
function counting(): { decode: (encoded: string) => Result<string>; calls: () => number } {
  let calls = 0;
  return {
    decode: (encoded) => {
      calls++;
      return ok(`decoded:${encoded.slice(0, 8)}`);
    },
    calls: () => calls,
  };
}

describe("decoded values, remembered by their encoded form", () => {
  const tail = "%2B".repeat(100); // longer than the lookup key taken from the end of a value

  it("decodes a returning value once, and hands back the very same result", () => {
    const values = new DecodedValues<string>(LIMITS);
    const decoder = counting();
    const first = values.get(`AAAAAAAA${tail}`, decoder.decode);
    const second = values.get(`AAAAAAAA${tail}`, decoder.decode);
    expect(second).toBe(first);
    expect(decoder.calls()).toBe(1);
  });

  it("never confuses two values that end alike: each gets its own decoding", () => {
    const values = new DecodedValues<string>(LIMITS);
    const decoder = counting();
    for (let round = 0; round < 3; round++) {
      expect(values.get(`AAAAAAAA${tail}`, decoder.decode)).toEqual(ok("decoded:AAAAAAAA"));
      expect(values.get(`BBBBBBBB${tail}`, decoder.decode)).toEqual(ok("decoded:BBBBBBBB"));
    }
    // They share a slot, so alternating between them decodes each time: slower, never wrong.
    expect(decoder.calls()).toBe(6);
  });

  it("keeps short values whole as their own key", () => {
    const values = new DecodedValues<string>(LIMITS);
    const decoder = counting();
    expect(values.get("short-1", decoder.decode)).toEqual(ok("decoded:short-1"));
    expect(values.get("short-2", decoder.decode)).toEqual(ok("decoded:short-2"));
    values.get("short-1", decoder.decode);
    expect(decoder.calls()).toBe(2);
  });

  it("is bounded in bytes as well as entries", () => {
    const values = new DecodedValues<string>({ maxEntries: 1000, maxBytes: 5 * (2048 + 1024) });
    const decoder = counting();
    const big = (i: number) => `${String(i).padStart(8, "0")}${"x".repeat(2040)}${i}`;
    for (let i = 0; i < 20; i++) values.get(big(i), decoder.decode);
    expect(values.size).toBeLessThanOrEqual(5);
    expect(values.bytes).toBeLessThanOrEqual(5 * (2048 + 1024));
    // The most recent ones are the ones kept.
    values.get(big(19), decoder.decode);
    expect(decoder.calls()).toBe(20);
  });

  it("with an admission, keeps a value only once admitted", () => {
    let admitLast: (() => void) | undefined;
    const values = new DecodedValues<string>(LIMITS, (value, keep) => {
      admitLast = () => keep(value);
      return value;
    });
    const decoder = counting();
    values.get(`AAAAAAAA${tail}`, decoder.decode);
    values.get(`AAAAAAAA${tail}`, decoder.decode);
    expect(decoder.calls()).toBe(2);
    expect(values.size).toBe(0);
    admitLast?.();
    values.get(`AAAAAAAA${tail}`, decoder.decode);
    expect(decoder.calls()).toBe(2);
  });
});
