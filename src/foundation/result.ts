import type { Denial } from "./reasons.js";

/**
 * What a step yields: a value, or a typed error (a denial by default). Exceptions are for bugs and bad
 * configuration only. The one result shape of the code base: revocation fails with a RevocationFailure,
 * parsers of operator input with a message, the pipeline's steps with a Denial.
 */
export type Result<T, E = Denial> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function fail<E = Denial>(error: E): Result<never, E> {
  return { ok: false, error };
}
