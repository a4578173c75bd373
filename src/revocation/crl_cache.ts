import { performance } from "node:perf_hooks";
import type { X509Certificate } from "@peculiar/x509";
import type { LRUCache } from "lru-cache";
import { fail } from "../foundation/result.js";
import {
  type CacheEntry,
  entryCache,
  type Lifetime,
  learntAt,
  lifetimeOf,
  rememberFailure,
  rememberValue,
  SingleFlight,
  type TtlSettings,
} from "./cache.js";
import type { RevocationConfig } from "./config.js";
import { type CrlScopeQuery, coversCertificate, lookupSerial, type VerifiedCrl, verifyCrl } from "./crl.js";
import type { RevocationEvent } from "./events.js";
import { failed, firstSuccess, type RevocationResult, success } from "./failure.js";
import { type FetchFunction, fetchBytes } from "./http_fetch.js";
import type { RevocationSubject, VerifiedAnswer } from "./revocation.js";

/**
 * The CRL cache: verified CRLs per (issuer, URL) in the same entry shape and under the same failure rule
 * as the per-certificate answers (cache.ts), with their own single flight, so one CRL download serves
 * every certificate of that CA, and a CRL server that failed is not asked again within the negative TTL.
 */

/** What the source modules are given by the checker. */
export interface SourceSettings {
  readonly config: RevocationConfig;
  readonly ttl: TtlSettings;
  readonly fetch: FetchFunction;
  /** Aborted on close. */
  readonly signal: AbortSignal;
  readonly emit: (event: RevocationEvent) => void;
}

/** A verified CRL with its lifetime (`freshUntil` unused: a CRL is refreshed from `refreshAt`). */
export interface CachedCrl extends Lifetime {
  readonly crl: VerifiedCrl;
  readonly fetchedAt: number;
}

export class CrlCache {
  readonly #settings: SourceSettings;
  readonly #crls: LRUCache<string, CacheEntry<CachedCrl>>;
  readonly #flights = new SingleFlight<RevocationResult<CachedCrl>>();

  constructor(settings: SourceSettings) {
    this.#settings = settings;
    this.#crls = entryCache<CachedCrl>(settings.config.crlCacheMaxEntries);
  }

  /** The subject's status from the first of `urls` whose CRL verifies and covers it. */
  async answer(
    urls: readonly string[],
    subject: RevocationSubject,
    now: Date,
  ): Promise<RevocationResult<VerifiedAnswer>> {
    const certificate = { distributionPoints: subject.crlUrls, isCa: subject.isCa };
    const found = await this.firstCovering(urls, certificate, subject, now);
    if (!found.ok) return found;
    const { crl, fetchedAt } = found.value;
    const entry = lookupSerial(crl, subject.serialHex);
    return success({
      status: entry === undefined ? "good" : "revoked",
      source: "crl",
      thisUpdate: crl.thisUpdate,
      nextUpdate: crl.nextUpdate,
      revokedAt: entry?.revokedAt,
      revocationReason: entry?.reason,
      fetchedAt,
    });
  }

  /**
   * The first CRL from `urls` that verifies and covers `certificate` (judged by the certificate's own
   * distribution points and cA: a mirror URL may serve a CRL scoped to the CA's official one).
   */
  firstCovering(
    urls: readonly string[],
    certificate: CrlScopeQuery,
    subject: RevocationSubject,
    now: Date,
  ): Promise<RevocationResult<CachedCrl>> {
    return firstSuccess(
      urls,
      async (url) => {
        const cached = await this.#crl(url, subject, now);
        if (!cached.ok) return cached;
        const covers = coversCertificate(cached.value.crl, certificate);
        return covers.ok ? cached : covers;
      },
      failed("no-source", "no CRL distribution point"),
    );
  }

  async settled(): Promise<void> {
    await this.#flights.settled();
  }

  clear(): void {
    this.#crls.clear();
  }

  /**
   * A cached CRL until its refresh point; then one fetch per (issuer, URL) however many Checks ask,
   * falling back to the cached CRL while it is still before its nextUpdate.
   */
  async #crl(url: string, subject: RevocationSubject, now: Date): Promise<RevocationResult<CachedCrl>> {
    // Keyed by issuer too: a CRL verified against one CA must never answer for another CA's certificate.
    const key = `${subject.issuerFingerprint}|${url}`;
    const t = now.getTime();
    const entry = this.#crls.get(key);
    const cached = entry?.value;
    if (cached !== undefined && t < cached.refreshAt) return success(cached);
    if (entry?.failure !== undefined && t < entry.failedUntil) return usable(entry, t);
    const refresh = this.#flights.run(key, async () => {
      const started = performance.now();
      const fetched = await this.#fetchCrl(url, subject.issuer, now);
      if (fetched.ok) {
        rememberValue(this.#crls, key, fetched.value);
        return fetched;
      }
      const failedAt = learntAt(now, started);
      return usable(rememberFailure(this.#crls, key, fetched.error, failedAt, this.#settings.ttl), t);
    });
    // Past its refresh point but before its nextUpdate, the cached CRL is still the truth: answer with it
    // now and let the download (up to crlFetchTimeoutMs) finish in the background, so a slow CRL server
    // does not turn into denials for certificates seen for the first time.
    if (cached !== undefined && t < cached.validUntil) {
      refresh.catch(() => undefined);
      return success(cached);
    }
    return refresh;
  }

  async #fetchCrl(url: string, issuer: X509Certificate, now: Date): Promise<RevocationResult<CachedCrl>> {
    const started = performance.now();
    const outcome = await this.#fetchAndVerifyCrl(url, issuer, now);
    this.#settings.emit({
      type: "fetch",
      source: "crl",
      outcome: outcome.ok ? "answer" : outcome.error.code,
      durationMs: performance.now() - started,
    });
    return outcome;
  }

  async #fetchAndVerifyCrl(
    url: string,
    issuer: X509Certificate,
    now: Date,
  ): Promise<RevocationResult<CachedCrl>> {
    const { config } = this.#settings;
    const fetched = await fetchBytes(this.#settings.fetch, {
      url,
      method: "GET",
      accept: "application/pkix-crl",
      timeoutMs: config.crlFetchTimeoutMs,
      maxBytes: config.maxCrlBytes,
      signal: this.#settings.signal,
    });
    if (!fetched.ok) return fetched;
    const verified = await verifyCrl(fetched.value, {
      issuer,
      now,
      clockSkewMs: config.clockSkewSeconds * 1000,
    });
    if (!verified.ok) return verified;
    const fetchedAt = now.getTime();
    const lifetime = lifetimeOf(
      { status: "good", nextUpdate: verified.value.nextUpdate, fetchedAt },
      this.#settings.ttl,
    );
    return success({ ...lifetime, crl: verified.value, fetchedAt });
  }
}

/** After a failed refresh, a CRL before its nextUpdate is still a verified answer. */
function usable(entry: CacheEntry<CachedCrl>, t: number): RevocationResult<CachedCrl> {
  if (entry.value !== undefined && t < entry.value.validUntil) return success(entry.value);
  return fail(entry.failure ?? { code: "internal", detail: "CRL entry without a failure" });
}
