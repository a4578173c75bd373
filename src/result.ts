import type { Denial } from "./reasons.js";

/** A step either yields a value or a typed denial; exceptions are for bugs and bad configuration only. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly denial: Denial };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(denial: Denial): Result<T> {
  return { ok: false, denial };
}
