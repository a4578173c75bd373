import { fail, ok, type Result } from "../foundation/result.js";
/**
 * Why no verified revocation answer could be had. A closed set of codes, like panva/jose's error codes:
 * the checker, the log and the metrics match on `code`, never on the text.
 */
export type RevocationFailureCode =
  // transport
  | "timeout"
  | "network"
  | "http-status"
  | "too-large"
  | "aborted"
  // a response or CRL that is not an answer
  | "malformed"
  | "responder-status"
  | "bad-signature"
  | "unknown-signer"
  | "unauthorised-signer"
  | "responder-revoked"
  | "certid-mismatch"
  | "not-yet-valid"
  | "expired"
  | "nonce-mismatch"
  | "issuer-mismatch"
  | "unsupported"
  // the checker
  | "no-source"
  | "deadline"
  | "negative-cached"
  | "internal";

export interface RevocationFailure {
  readonly code: RevocationFailureCode;
  readonly detail: string;
}

export function failure(code: RevocationFailureCode, detail: string): RevocationFailure {
  return { code, detail };
}

/** What a fetch, a parse or a verification yields: a value, or a typed failure (never an exception). */
export type RevocationResult<T> = Result<T, RevocationFailure>;

export function success<T>(value: T): RevocationResult<T> {
  return ok(value);
}

export function failed<T = never>(code: RevocationFailureCode, detail: string): RevocationResult<T> {
  return fail(failure(code, detail));
}

/**
 * The one "try each in order, keep the last failure" loop (URLs of a source, sources in order): the first
 * success, or the last failure, or `none` when there is nothing to try. Sequential on purpose: a second
 * URL or source is asked only when the first gave no verified answer.
 */
export async function firstSuccess<I, T>(
  items: Iterable<I>,
  attempt: (item: I) => Promise<RevocationResult<T>>,
  none: RevocationResult<T>,
): Promise<RevocationResult<T>> {
  let last = none;
  for (const item of items) {
    last = await attempt(item);
    if (last.ok) return last;
  }
  return last;
}
