import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { andThen, type Settled, valueNow } from "../src/foundation/settled.js";

/** What valueNow hands back at once, and what it hands to its handlers later. */
function outcomes<T extends object>(
  run: () => Settled<T>,
): Promise<{ now: T | undefined; values: T[]; errors: unknown[] }> {
  const values: T[] = [];
  const errors: unknown[] = [];
  const now = valueNow(
    run,
    (later) => values.push(later),
    (error) => errors.push(error),
  );
  return new Promise((resolve) => setImmediate(() => resolve({ now, values, errors })));
}

describe("Settled values", () => {
  it("andThen continues at once on a value and later on a promise", async () => {
    const now = andThen(2, (n) => n * 10);
    expect(now).toBe(20);
    const later = andThen(Promise.resolve(2), (n) => n * 10);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe(20);
    expect(await andThen(3, (n) => Promise.resolve(n + 1))).toBe(4);
  });

  it("valueNow hands back a value that is here, and hands a promised one to its handler later, once", async () => {
    const ready = { answer: "now" };
    expect(await outcomes(() => ready)).toEqual({ now: ready, values: [], errors: [] });
    const promised = { answer: "later" };
    expect(await outcomes(() => Promise.resolve(promised))).toEqual({
      now: undefined,
      values: [promised],
      errors: [],
    });
  });

  it("waits for any thenable, not only this realm's Promise", async () => {
    // A promise from another realm (a vm context) is not `instanceof Promise` here.
    const foreign = runInNewContext("Promise.resolve(5)") as Promise<number>;
    expect(foreign instanceof Promise).toBe(false);
    const later = andThen(foreign, (n) => n + 1);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe(6);
    const foreignObject = runInNewContext("Promise.resolve({ n: 5 })") as Promise<{ n: number }>;
    expect(await outcomes(() => foreignObject)).toEqual({ now: undefined, values: [{ n: 5 }], errors: [] });
    // Values that cannot be thenables pass straight through.
    expect(andThen(null, (v) => v)).toBeNull();
    expect(andThen(undefined, (v) => v)).toBeUndefined();
  });

  it("valueNow turns a throw and a rejection alike into one error call", async () => {
    const bug = new Error("bug");
    expect(
      await outcomes(() => {
        throw bug;
      }),
    ).toEqual({ now: undefined, values: [], errors: [bug] });
    expect(await outcomes(() => Promise.reject(bug))).toEqual({ now: undefined, values: [], errors: [bug] });
  });
});
