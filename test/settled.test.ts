import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { andThen, type Settled, settle } from "../src/foundation/settled.js";

function outcomes<T>(
  run: () => Settled<T>,
): Promise<{ values: T[]; errors: unknown[]; synchronous: boolean }> {
  const values: T[] = [];
  const errors: unknown[] = [];
  settle(
    run,
    (value) => values.push(value),
    (error) => errors.push(error),
  );
  const synchronous = values.length + errors.length > 0;
  return new Promise((resolve) => setImmediate(() => resolve({ values, errors, synchronous })));
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

  it("settle hands a value over in the same turn, a promised one later, each exactly once", async () => {
    expect(await outcomes(() => "now")).toEqual({ values: ["now"], errors: [], synchronous: true });
    expect(await outcomes(() => Promise.resolve("later"))).toEqual({
      values: ["later"],
      errors: [],
      synchronous: false,
    });
  });

  it("waits for any thenable, not only this realm's Promise", async () => {
    // A promise from another realm (a vm context) is not `instanceof Promise` here.
    const foreign = runInNewContext("Promise.resolve(5)") as Promise<number>;
    expect(foreign instanceof Promise).toBe(false);
    const later = andThen(foreign, (n) => n + 1);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe(6);
    expect(await outcomes(() => foreign)).toEqual({ values: [5], errors: [], synchronous: false });
    // Values that cannot be thenables pass straight through.
    expect(andThen(null, (v) => v)).toBeNull();
    expect(andThen(undefined, (v) => v)).toBeUndefined();
  });

  it("settle turns a throw and a rejection alike into one error call", async () => {
    const bug = new Error("bug");
    expect(
      await outcomes(() => {
        throw bug;
      }),
    ).toEqual({ values: [], errors: [bug], synchronous: true });
    expect(await outcomes(() => Promise.reject(bug))).toEqual({
      values: [],
      errors: [bug],
      synchronous: false,
    });
  });
});
