import { performance } from "node:perf_hooks";
import { LRUCache } from "lru-cache";
import type { RevocationFailure } from "./failure.js";
import type { RevocationStatus, VerifiedAnswer } from "./revocation.js";

/**
 * Answer lifetimes and the two structures that keep a dead or slow responder from becoming an outage or
 * a flood: an LRU of verified answers (with the last failure, for the negative cache) and a single-flight
 * map so any number of concurrent misses for one key share one fetch.
 */

export interface TtlSettings {
  readonly maxTtlMs: number;
  readonly defaultTtlMs: number;
  readonly unknownTtlMs: number;
  /** Also the floor of every lifetime, so an answer at the end of its life is not re-fetched per Check. */
  readonly negativeTtlMs: number;
  readonly refreshAheadFraction: number;
}

/** Times are ms since epoch. fetchedAt <= refreshAt <= freshUntil; validUntil >= freshUntil. */
export interface Lifetime {
  /** From here on a hit also starts a background refresh. */
  readonly refreshAt: number;
  /** Served from the cache without asking anyone until then. */
  readonly freshUntil: number;
  /** nextUpdate: still a verified answer after a failed refresh; stale-if-error counts from here. */
  readonly validUntil: number;
}

export function lifetimeOf(
  answer: Pick<VerifiedAnswer, "status" | "nextUpdate" | "fetchedAt">,
  ttl: TtlSettings,
): Lifetime {
  const { fetchedAt } = answer;
  const nextUpdate = answer.nextUpdate?.getTime();
  let freshUntil =
    nextUpdate === undefined ? fetchedAt + ttl.defaultTtlMs : Math.min(nextUpdate, fetchedAt + ttl.maxTtlMs);
  if (answer.status === "unknown") freshUntil = Math.min(freshUntil, fetchedAt + ttl.unknownTtlMs);
  freshUntil = Math.max(freshUntil, fetchedAt + ttl.negativeTtlMs);
  return {
    refreshAt: freshUntil - (freshUntil - fetchedAt) * ttl.refreshAheadFraction,
    freshUntil,
    validUntil: Math.max(nextUpdate ?? freshUntil, freshUntil),
  };
}

/** A cached answer with both statuses built once, so a hit returns a ready object. */
export interface CachedAnswer extends Lifetime {
  readonly fresh: RevocationStatus;
  /** What stale-if-error serves past validUntil. */
  readonly stale: RevocationStatus;
  /** The answer itself, so a successor checker can give it lifetimes under its own settings. */
  readonly verified: VerifiedAnswer;
  readonly ca: string | undefined;
}

/** `ca`: the subject DN when the answer is about a CA certificate on the path (named in a denial). */
export function cachedAnswer(answer: VerifiedAnswer, ttl: TtlSettings, ca?: string): CachedAnswer {
  const staleSource = answer.source === "ocsp" ? "stale-ocsp" : "stale-crl";
  return Object.freeze({
    ...lifetimeOf(answer, ttl),
    fresh: statusOf(answer, answer.source, ca),
    stale: statusOf(answer, staleSource, ca),
    verified: answer,
    ca,
  });
}

function statusOf(
  answer: VerifiedAnswer,
  source: "ocsp" | "crl" | "stale-ocsp" | "stale-crl",
  ca: string | undefined,
): RevocationStatus {
  const aboutCa = ca === undefined ? {} : { ca };
  if (answer.status === "revoked") {
    return Object.freeze({
      status: "revoked",
      source,
      revokedAt: answer.revokedAt ?? answer.thisUpdate,
      revocationReason: answer.revocationReason,
      ...aboutCa,
    });
  }
  return Object.freeze({ status: answer.status, source, ...aboutCa });
}

/**
 * The one entry shape of both caches, the OCSP/CRL answers per certificate (checker.ts) and the CRLs per
 * (issuer, URL) (crl_cache.ts): the last verified value and the negative cache.
 */
export interface CacheEntry<T> {
  /** The last verified value, kept past its freshness for fallbacks until the LRU evicts it. */
  readonly value: T | undefined;
  /** Negative cache: no fetch for this key before then. */
  readonly failedUntil: number;
  readonly failure: RevocationFailure | undefined;
}

/** Bounded in entries; lifetimes are checked against the Check's clock, not lru-cache's own TTL. */
export function entryCache<T extends object>(maxEntries: number): LRUCache<string, CacheEntry<T>> {
  return new LRUCache<string, CacheEntry<T>>({ max: maxEntries });
}

export function rememberValue<T extends object>(
  cache: LRUCache<string, CacheEntry<T>>,
  key: string,
  value: T,
): void {
  cache.set(key, { value, failedUntil: 0, failure: undefined });
}

/**
 * The one rule for a failure: it is dated from when it was learnt (`failedAt`, see `learntAt`), not from
 * the start of the Check that asked, so a fetch that fails only after its timeout (longer than the
 * negative TTL) is still negative-cached. The last verified value is kept for fallbacks.
 */
export function rememberFailure<T extends object>(
  cache: LRUCache<string, CacheEntry<T>>,
  key: string,
  failure: RevocationFailure,
  failedAt: number,
  ttl: Pick<TtlSettings, "negativeTtlMs">,
): CacheEntry<T> {
  const entry = { value: cache.peek(key)?.value, failedUntil: failedAt + ttl.negativeTtlMs, failure };
  cache.set(key, entry);
  return entry;
}

/**
 * When something a fetch started at `startedMs` (performance.now()) was learnt, on the Check's clock:
 * the checker has no clock of its own, so the Check's `now` plus the time the fetch took.
 */
export function learntAt(now: Date, startedMs: number): number {
  return now.getTime() + (performance.now() - startedMs);
}

/** Concurrent callers for one key share the first caller's promise until it settles. */
export class SingleFlight<T> {
  readonly #inflight = new Map<string, Promise<T>>();

  run(key: string, start: () => Promise<T>): Promise<T> {
    const running = this.#inflight.get(key);
    if (running !== undefined) return running;
    const flight = start().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, flight);
    return flight;
  }

  get size(): number {
    return this.#inflight.size;
  }

  /** Resolves when every flight started so far has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inflight.values()]);
  }
}
