/**
 * A value now, or a promise of it later. The warm path is synchronous: a Check whose certificate and
 * revocation verdicts are cached is answered in the same turn it arrived, without a promise or a
 * microtask per step; only work that really waits (a cold certificate, an OCSP fetch) returns a promise.
 */
export type Settled<T> = T | Promise<T>;

/** Runs `next` on the value: at once when it is here, when it arrives otherwise. */
export function andThen<T, U>(value: Settled<T>, next: (value: T) => Settled<U>): Settled<U> {
  return isPending(value) ? Promise.resolve(value).then(next) : next(value);
}

/**
 * Any thenable counts as "later", not only this realm's Promise: a step that handed back some other
 * promise-like must never have it read as its answer (a revocation status that is really a pending
 * promise would otherwise be a status with no verdict).
 */
function isPending<T>(value: Settled<T>): value is Promise<T> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * `run`'s value when it is here; otherwise undefined, and `later` or `onError` gets the outcome when it
 * arrives (for a caller that answers a ready value itself, as a turn's batch does). A throw from `run`
 * goes to `onError` like a rejection, and the answer is then undefined too.
 */
export function valueNow<T extends object>(
  run: () => Settled<T>,
  later: (value: T) => void,
  onError: (error: unknown) => void,
): T | undefined {
  let value: Settled<T>;
  try {
    value = run();
  } catch (error) {
    onError(error);
    return undefined;
  }
  if (!isPending(value)) return value;
  Promise.resolve(value).then(later, onError);
  return undefined;
}
