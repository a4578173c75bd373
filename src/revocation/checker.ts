import { performance } from "node:perf_hooks";
import type { LRUCache } from "lru-cache";
import type { Settled } from "../foundation/settled.js";
import {
  type CachedAnswer,
  type CacheEntry,
  cachedAnswer,
  entryCache,
  learntAt,
  rememberFailure,
  rememberValue,
  SingleFlight,
  type TtlSettings,
} from "./cache.js";
import { type IssuerPolicy, issuerPolicies, type RevocationConfig } from "./config.js";
import type { RevocationEvent, RevocationLogger } from "./events.js";
import { failed, type RevocationFailure, type RevocationResult, success } from "./failure.js";
import type { FetchFunction } from "./http_fetch.js";
import {
  type KeptAnswer,
  type RevocationChecker,
  type RevocationStatus,
  type RevocationSubject,
  revocationDisabled,
} from "./revocation.js";
import { RevocationSources } from "./sources.js";

export interface RevocationDeps {
  /** Defaults to Node's global fetch. */
  readonly fetch?: FetchFunction;
  readonly logger?: RevocationLogger;
  /** Called synchronously for every cache result, fetch and fallback; must not throw. */
  readonly onEvent?: (event: RevocationEvent) => void;
}

/**
 * The RevocationChecker: a warm Check is one LRU lookup per certificate on the path. A miss joins (or
 * starts) the one fetch for that certificate and waits for it at most `timeoutMs`; without a verified
 * answer the issuer's fail mode decides. Time comes only from `check(subject, now)`: the checker has no
 * clock of its own. `carried`: what the checker it replaces knew (a reload), see KeptAnswer.
 */
export function createRevocationChecker(
  config: RevocationConfig,
  deps: RevocationDeps = {},
  carried: Iterable<KeptAnswer> = [],
): RevocationChecker {
  if (!config.enabled) return revocationDisabled;
  return new CachedRevocationChecker(config, deps, carried);
}

const HIT: RevocationEvent = Object.freeze({ type: "cache", result: "hit" });
const REFRESH_AHEAD: RevocationEvent = Object.freeze({ type: "cache", result: "refresh-ahead" });
const MISS: RevocationEvent = Object.freeze({ type: "cache", result: "miss" });
const NEGATIVE: RevocationEvent = Object.freeze({ type: "cache", result: "negative" });
const noEvent = (_event: RevocationEvent) => {};
const NO_CAS: readonly RevocationSubject[] = Object.freeze([]);

class CachedRevocationChecker implements RevocationChecker {
  readonly #ttl: TtlSettings;
  readonly #policyOf: (subject: RevocationSubject) => IssuerPolicy;
  readonly #answers: LRUCache<string, CacheEntry<CachedAnswer>>;
  readonly #flights = new SingleFlight<RevocationResult<RevocationStatus>>();
  readonly #sources: RevocationSources;
  readonly #closed = new AbortController();
  readonly #emit: (event: RevocationEvent) => void;
  readonly #logger: RevocationLogger | undefined;

  constructor(config: RevocationConfig, deps: RevocationDeps, carried: Iterable<KeptAnswer>) {
    this.#ttl = {
      maxTtlMs: config.maxTtlSeconds * 1000,
      defaultTtlMs: config.defaultTtlSeconds * 1000,
      unknownTtlMs: config.unknownTtlSeconds * 1000,
      negativeTtlMs: config.negativeTtlSeconds * 1000,
      refreshAheadFraction: config.refreshAheadFraction,
    };
    this.#policyOf = issuerPolicies(config);
    this.#answers = entryCache<CachedAnswer>(config.cacheMaxEntries);
    this.#emit = deps.onEvent ?? noEvent;
    this.#logger = deps.logger;
    this.#sources = new RevocationSources({
      config,
      ttl: this.#ttl,
      fetch: deps.fetch ?? globalThis.fetch,
      signal: this.#closed.signal,
      emit: this.#emit,
    });
    // Lifetimes are recomputed under this checker's settings; a permanent revocation stays whatever its age.
    for (const kept of carried) {
      const answer = cachedAnswer(kept.answer, this.#ttl, kept.ca);
      rememberValue(this.#answers, kept.key, answer);
    }
  }

  /**
   * RFC 5280 6.3: the leaf and every CA below the anchor that names a source. All lookups start at once
   * (one time budget, not one per certificate); each CA's status is cached under its own CertID, so all
   * its leaves share one answer and one fetch. The worst status wins.
   */
  check(subject: RevocationSubject, now: Date): Settled<RevocationStatus> {
    let combined = this.#checkOne(subject, now);
    for (const ca of subject.cas ?? NO_CAS) combined = worseOf(combined, this.#checkOne(ca, now));
    return combined;
  }

  /** Least recently used first, so the successor's LRU order matches this one's. */
  *keptAnswers(now: Date): Iterable<KeptAnswer> {
    const t = now.getTime();
    for (const key of this.#answers.rkeys()) {
      const answer = this.#answers.peek(key)?.value;
      if (answer === undefined) continue;
      if (permanentlyRevoked(answer.fresh) || t < answer.validUntil) {
        yield { key, answer: answer.verified, ca: answer.ca };
      }
    }
  }

  #checkOne(subject: RevocationSubject, now: Date): Settled<RevocationStatus> {
    const t = now.getTime();
    const entry = this.#answers.get(subject.key);
    const answer = entry?.value;
    if (answer !== undefined && t < answer.freshUntil) {
      if (t >= answer.refreshAt && t >= (entry?.failedUntil ?? 0)) {
        this.#emit(REFRESH_AHEAD);
        void this.#flight(subject, this.#policyOf(subject), now);
      } else {
        this.#emit(HIT);
      }
      return answer.fresh;
    }
    return this.#miss(subject, now, entry);
  }

  async close(): Promise<void> {
    this.#closed.abort();
    await Promise.all([this.#flights.settled(), this.#sources.settled()]);
    this.#answers.clear();
    this.#sources.clear();
  }

  async #miss(
    subject: RevocationSubject,
    now: Date,
    entry: CacheEntry<CachedAnswer> | undefined,
  ): Promise<RevocationStatus> {
    const policy = this.#policyOf(subject);
    const t = now.getTime();
    if (entry?.failure !== undefined && t < entry.failedUntil) {
      this.#emit(NEGATIVE);
      return this.#fallback(subject, policy, t, entry.failure);
    }
    this.#emit(MISS);
    const outcome = await waitAtMost(this.#flight(subject, policy, now), policy.timeoutMs);
    return outcome.ok ? outcome.value : this.#fallback(subject, policy, t, outcome.error);
  }

  /** One fetch per certificate at a time; its result (answer or failure) lands in the cache. Never rejects. */
  #flight(
    subject: RevocationSubject,
    policy: IssuerPolicy,
    now: Date,
  ): Promise<RevocationResult<RevocationStatus>> {
    return this.#flights.run(subject.key, async () => {
      const started = performance.now();
      const outcome = await this.#sources
        .query(subject, policy, now)
        .catch((error: unknown) => failed("internal", `revocation query threw: ${String(error)}`));
      if (outcome.ok) {
        const previous = this.#answers.peek(subject.key)?.value;
        // Revocation (other than certificateHold) is permanent (RFC 5280 3.3): an older or replayed "good"
        // from a cache or CDN in front of the responder must not undo it.
        if (
          previous !== undefined &&
          permanentlyRevoked(previous.fresh) &&
          !(outcome.value.status === "revoked" && outcome.value.revocationReason !== "certificateHold")
        ) {
          return success(previous.fresh);
        }
        const cached = cachedAnswer(outcome.value, this.#ttl, subject.ca);
        rememberValue(this.#answers, subject.key, cached);
        this.#logRevoked(subject, cached);
        return success(cached.fresh);
      }
      rememberFailure(this.#answers, subject.key, outcome.error, learntAt(now, started), this.#ttl);
      this.#logger?.warn(
        {
          ...(subject.ca === undefined ? {} : { ca: subject.ca }),
          issuer: subject.issuerSubject,
          serial: subject.serialHex,
          code: outcome.error.code,
          detail: outcome.error.detail,
        },
        "revocation: no verified answer",
      );
      return outcome;
    });
  }

  /**
   * No verified answer now: a cached answer still before its nextUpdate is still the truth; past it,
   * stale-if-error serves it for the configured window; otherwise soft allows (marked) and hard denies.
   */
  #fallback(
    subject: RevocationSubject,
    policy: IssuerPolicy,
    t: number,
    cause: RevocationFailure,
  ): RevocationStatus {
    const answer = this.#answers.peek(subject.key)?.value;
    if (answer !== undefined && t < answer.validUntil) {
      this.#emit({ type: "fallback", result: "still-valid", code: cause.code });
      return answer.fresh;
    }
    if (
      policy.failMode === "stale-if-error" &&
      answer !== undefined &&
      t < answer.validUntil + policy.staleIfErrorSeconds * 1000
    ) {
      this.#emit({ type: "fallback", result: "stale", code: cause.code });
      return answer.stale;
    }
    if (answer !== undefined && permanentlyRevoked(answer.fresh)) {
      // Known revoked stays revoked in every fail mode, however old the answer: soft must not re-admit it.
      this.#emit({ type: "fallback", result: "stale", code: cause.code });
      return answer.stale;
    }
    const aboutCa = subject.ca === undefined ? {} : { ca: subject.ca };
    if (policy.failMode === "soft") {
      this.#emit({ type: "fallback", result: "soft", code: cause.code });
      return { status: "unchecked", code: cause.code, detail: cause.detail, ...aboutCa };
    }
    this.#emit({ type: "fallback", result: "hard", code: cause.code });
    return { status: "unavailable", code: cause.code, detail: cause.detail, ...aboutCa };
  }

  #logRevoked(subject: RevocationSubject, cached: CachedAnswer): void {
    const status = cached.fresh;
    if (status.status !== "revoked") return;
    this.#logger?.info(
      {
        ...(subject.ca === undefined ? {} : { ca: subject.ca }),
        issuer: subject.issuerSubject,
        serial: subject.serialHex,
        revokedAt: status.revokedAt.toISOString(),
        reason: status.revocationReason ?? "unspecified",
        source: status.source,
      },
      "revocation: certificate revoked",
    );
  }
}

/** Synchronous when both are here, so a warm Check stays free of promises. */
function worseOf(a: Settled<RevocationStatus>, b: Settled<RevocationStatus>): Settled<RevocationStatus> {
  if (a instanceof Promise || b instanceof Promise) {
    return Promise.all([a, b]).then(([first, second]) => worse(first, second));
  }
  return worse(a, b);
}

/**
 * `b` is the certificate nearer the anchor: on a tie it is the one named, as RFC 5280 6.1 processes the
 * path from the anchor down; but a "good" tie keeps the leaf's status (its source is what is reported).
 */
function worse(a: RevocationStatus, b: RevocationStatus): RevocationStatus {
  const ra = severity(a);
  const rb = severity(b);
  return rb > ra || (rb === ra && rb > 0) ? b : a;
}

/** Denials first, the most specific first: revoked, on hold, unknown, no answer; then soft "unchecked". */
function severity(status: RevocationStatus): number {
  switch (status.status) {
    case "revoked":
      return status.revocationReason === "certificateHold" ? 4 : 5;
    case "unknown":
      return 3;
    case "unavailable":
      return 2;
    case "unchecked":
      return 1;
    case "good":
      return 0;
    default:
      // Not a status this code knows (a bug): it wins, and revocationDenial fails closed on it.
      return 6;
  }
}

function permanentlyRevoked(status: RevocationStatus): boolean {
  return status.status === "revoked" && status.revocationReason !== "certificateHold";
}

/** The Check's time budget: the flight goes on (and fills the cache) after the Check stopped waiting. */
function waitAtMost<T>(flight: Promise<RevocationResult<T>>, ms: number): Promise<RevocationResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<RevocationResult<T>>((resolve) => {
    timer = setTimeout(() => resolve(failed("deadline", `no verified answer within ${ms} ms`)), ms);
  });
  return Promise.race([flight, deadline]).finally(() => clearTimeout(timer));
}
