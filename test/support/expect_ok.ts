import { inspect } from "node:util";
import { assert } from "vitest";

/**
 * Assertions on a Result (src/foundation/result.ts) or any other `ok`-tagged union, that narrow it for
 * what the test reads next. They replace `expect(x.ok).toBe(true); if (!x.ok) return;`: that pair needs
 * the `if` only for the compiler, and a failure said "expected false to be true" without the error.
 */
type Tagged = { readonly ok: boolean };

/** Fails the test, naming the error, unless `result` is ok. */
export function expectOk<R extends Tagged>(
  result: R | undefined,
): asserts result is Extract<R, { ok: true }> {
  if (result === undefined) assert.fail("expected an ok result, got undefined");
  if (!result.ok) assert.fail(`expected an ok result, got ${shown(result)}`);
}

/** Fails the test, naming the value, unless `result` is an error. */
export function expectError<R extends Tagged>(
  result: R | undefined,
): asserts result is Extract<R, { ok: false }> {
  if (result === undefined) assert.fail("expected an error result, got undefined");
  if (result.ok) assert.fail(`expected an error result, got ${shown(result)}`);
}

function shown(result: Tagged): string {
  return inspect(result, { depth: 4, breakLength: Number.POSITIVE_INFINITY, maxStringLength: 400 });
}
