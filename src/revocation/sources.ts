import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { X509Certificate } from "@peculiar/x509";
import { LRUCache } from "lru-cache";
import { lifetimeOf, SingleFlight, type TtlSettings, type VerifiedAnswer } from "./cache.js";
import type { IssuerPolicy, RevocationConfig } from "./config.js";
import { coversCertificate, lookupSerial, type VerifiedCrl, verifyCrl } from "./crl.js";
import type { RevocationEvent } from "./events.js";
import { failed, type Outcome, type RevocationFailure, success } from "./failure.js";
import { type BytesRequest, type FetchFunction, fetchBytes } from "./http_fetch.js";
import { buildOcspRequest, type OcspAnswer, verifyOcspResponse } from "./ocsp.js";
import type { RevocationSubject } from "./revocation.js";

/**
 * Where answers come from: the OCSP responder (AIA or per-issuer override) and the CRL (CDP or override),
 * each fetched, verified and turned into a `VerifiedAnswer`. CRLs are cached per (issuer key, URL) with
 * their own single flight, so one CRL download serves every certificate of that CA.
 */

/** RFC 5019 5: GET when the encoded request is less than 255 bytes (larger ones may not survive proxies). */
const MAX_GET_REQUEST_LENGTH = 255;
/** RFC 8954 2.1 allows 1 to 32 octets; 32 leaves nothing to guess. */
const NONCE_BYTES = 32;

export interface SourceSettings {
  readonly config: RevocationConfig;
  readonly ttl: TtlSettings;
  readonly fetch: FetchFunction;
  /** Aborted on close. */
  readonly signal: AbortSignal;
  readonly emit: (event: RevocationEvent) => void;
}

interface CrlEntry {
  readonly crl: VerifiedCrl | undefined;
  readonly fetchedAt: number;
  readonly refreshAt: number;
  readonly validUntil: number;
  readonly failedUntil: number;
  readonly failure: RevocationFailure | undefined;
}

export class RevocationSources {
  readonly #settings: SourceSettings;
  readonly #crls: LRUCache<string, CrlEntry>;
  readonly #crlFlights = new SingleFlight<Outcome<CrlEntry>>();

  constructor(settings: SourceSettings) {
    this.#settings = settings;
    this.#crls = new LRUCache<string, CrlEntry>({ max: settings.config.crlCacheMaxEntries });
  }

  /**
   * The first source (OCSP, or the CRL with preferCrl or without an OCSP URL); when it gives no verified
   * answer and the certificate has the other, that one too. Never rejects.
   */
  async query(subject: RevocationSubject, policy: IssuerPolicy, now: Date): Promise<Outcome<VerifiedAnswer>> {
    const ocspUrls = policy.ocspUrl === undefined ? subject.ocspUrls : [policy.ocspUrl];
    const crlUrls = policy.crlUrl === undefined ? subject.crlUrls : [policy.crlUrl];
    const ocsp = { urls: ocspUrls, ask: () => this.#fromOcsp(ocspUrls, subject, policy, now) };
    const crl = { urls: crlUrls, ask: () => this.#fromCrl(crlUrls, subject, now) };
    const order = policy.preferCrl || ocspUrls.length === 0 ? [crl, ocsp] : [ocsp, crl];
    let last: Outcome<VerifiedAnswer> = failed(
      "no-source",
      "the certificate names no OCSP responder and no CRL",
    );
    for (const source of order) {
      if (source.urls.length === 0) continue;
      last = await source.ask();
      if (last.ok || !this.#settings.config.trySecondSource) return last;
    }
    return last;
  }

  async settled(): Promise<void> {
    await this.#crlFlights.settled();
  }

  clear(): void {
    this.#crls.clear();
  }

  async #fromOcsp(
    urls: readonly string[],
    subject: RevocationSubject,
    policy: IssuerPolicy,
    now: Date,
  ): Promise<Outcome<VerifiedAnswer>> {
    let last: Outcome<VerifiedAnswer> = failed("no-source", "no OCSP responder");
    for (const url of urls) {
      const started = performance.now();
      last = await this.#askResponder(url, subject, policy, now);
      this.#settings.emit({
        type: "fetch",
        source: "ocsp",
        outcome: last.ok ? "answer" : last.failure.code,
        durationMs: performance.now() - started,
      });
      if (last.ok) return last;
    }
    return last;
  }

  async #askResponder(
    url: string,
    subject: RevocationSubject,
    policy: IssuerPolicy,
    now: Date,
  ): Promise<Outcome<VerifiedAnswer>> {
    const nonce = policy.nonce ? new Uint8Array(randomBytes(NONCE_BYTES)) : undefined;
    const request = buildOcspRequest({ subject, hash: policy.hash, nonce });
    const fetched = await fetchBytes(this.#settings.fetch, this.#ocspHttpRequest(url, request, policy));
    if (!fetched.ok) return fetched;
    const verified = await verifyOcspResponse(fetched.value, {
      subject,
      hash: policy.hash,
      nonce,
      now,
      clockSkewMs: this.#settings.config.clockSkewSeconds * 1000,
      maxAgeWithoutNextUpdateMs: this.#settings.config.maxAgeWithoutNextUpdateSeconds * 1000,
    });
    if (!verified.ok) return verified;
    const responder = await this.#responderNotRevoked(verified.value, subject, now);
    if (!responder.ok) return responder;
    return success({ ...verified.value, source: "ocsp", fetchedAt: now.getTime() });
  }

  #ocspHttpRequest(url: string, request: Uint8Array, policy: IssuerPolicy): BytesRequest {
    const common = {
      accept: "application/ocsp-response",
      timeoutMs: this.#settings.config.fetchTimeoutMs,
      maxBytes: this.#settings.config.maxResponseBytes,
      signal: this.#settings.signal,
    };
    if (policy.useGet) {
      const encoded = encodeURIComponent(Buffer.from(request).toString("base64"));
      if (encoded.length < MAX_GET_REQUEST_LENGTH) {
        return { ...common, url: `${url}${url.endsWith("/") ? "" : "/"}${encoded}`, method: "GET" };
      }
    }
    return { ...common, url, method: "POST", body: request, contentType: "application/ocsp-request" };
  }

  /**
   * RFC 6960 4.2.2.2.1: a delegated responder certificate without id-pkix-ocsp-nocheck should itself be
   * checked. It is looked up in the CA's CRL when the certificate names one; without a CRL there is no
   * way to check it, and local policy (here: accept) decides, as that section allows.
   */
  async #responderNotRevoked(
    answer: OcspAnswer,
    subject: RevocationSubject,
    now: Date,
  ): Promise<Outcome<true>> {
    const responder = answer.responderToCheck;
    if (responder === undefined || responder.crlUrls.length === 0) return success(true);
    const crl = await this.#firstCrl(responder.crlUrls, responder.crlUrls, subject, now);
    if (!crl.ok) return crl;
    const entry = crl.value.crl === undefined ? undefined : lookupSerial(crl.value.crl, responder.serialHex);
    if (entry !== undefined) {
      return failed(
        "responder-revoked",
        `the OCSP responder certificate was revoked (${entry.reason ?? "unspecified"})`,
      );
    }
    return success(true);
  }

  async #fromCrl(
    urls: readonly string[],
    subject: RevocationSubject,
    now: Date,
  ): Promise<Outcome<VerifiedAnswer>> {
    const crl = await this.#firstCrl(urls, subject.crlUrls, subject, now);
    if (!crl.ok) return crl;
    const { crl: verified, fetchedAt } = crl.value;
    if (verified === undefined) return failed("internal", "CRL entry without a CRL");
    const entry = lookupSerial(verified, subject.serialHex);
    return success({
      status: entry === undefined ? "good" : "revoked",
      source: "crl",
      thisUpdate: verified.thisUpdate,
      nextUpdate: verified.nextUpdate,
      revokedAt: entry?.revokedAt,
      revocationReason: entry?.reason,
      fetchedAt,
    });
  }

  /**
   * The first CRL from `urls` that verifies and covers a certificate with the distribution points
   * `scope` (the certificate's own: a mirror URL may serve a CRL scoped to the CA's official one).
   */
  async #firstCrl(
    urls: readonly string[],
    scope: readonly string[],
    subject: RevocationSubject,
    now: Date,
  ): Promise<Outcome<CrlEntry>> {
    let last: Outcome<CrlEntry> = failed("no-source", "no CRL distribution point");
    for (const url of urls) {
      last = await this.#crl(url, subject, now);
      if (!last.ok) continue;
      const covers = last.value.crl === undefined ? last : coversCertificate(last.value.crl, scope);
      if (covers.ok) return last;
      last = covers;
    }
    return last;
  }

  /**
   * A cached CRL until its refresh point; then one fetch per (issuer, URL) however many Checks ask,
   * falling back to the cached CRL while it is still before its nextUpdate.
   */
  async #crl(url: string, subject: RevocationSubject, now: Date): Promise<Outcome<CrlEntry>> {
    // Keyed by issuer too: a CRL verified against one CA must never answer for another CA's certificate.
    const key = `${subject.issuerFingerprint}|${url}`;
    const t = now.getTime();
    const cached = this.#crls.get(key);
    if (cached?.crl !== undefined && t < cached.refreshAt) return success(cached);
    if (cached !== undefined && t < cached.failedUntil) return usable(cached, t);
    const refresh = this.#crlFlights.run(key, async () => {
      const fetched = await this.#fetchCrl(url, subject.issuer, now);
      const previous = this.#crls.peek(key);
      if (fetched.ok) {
        this.#crls.set(key, fetched.value);
        return fetched;
      }
      const failedEntry: CrlEntry = {
        crl: previous?.crl,
        fetchedAt: previous?.fetchedAt ?? t,
        refreshAt: previous?.refreshAt ?? t,
        validUntil: previous?.validUntil ?? t,
        failedUntil: t + this.#settings.ttl.negativeTtlMs,
        failure: fetched.failure,
      };
      this.#crls.set(key, failedEntry);
      return usable(failedEntry, t);
    });
    // Past its refresh point but before its nextUpdate, the cached CRL is still the truth: answer with it
    // now and let the download (up to crlFetchTimeoutMs) finish in the background, so a slow CRL server
    // does not turn into denials for certificates seen for the first time.
    if (cached?.crl !== undefined && t < cached.validUntil) {
      refresh.catch(() => undefined);
      return success(cached);
    }
    return refresh;
  }

  async #fetchCrl(url: string, issuer: X509Certificate, now: Date): Promise<Outcome<CrlEntry>> {
    const started = performance.now();
    const outcome = await this.#fetchAndVerifyCrl(url, issuer, now);
    this.#settings.emit({
      type: "fetch",
      source: "crl",
      outcome: outcome.ok ? "answer" : outcome.failure.code,
      durationMs: performance.now() - started,
    });
    return outcome;
  }

  async #fetchAndVerifyCrl(url: string, issuer: X509Certificate, now: Date): Promise<Outcome<CrlEntry>> {
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
    return success({
      crl: verified.value,
      fetchedAt,
      refreshAt: lifetime.refreshAt,
      validUntil: lifetime.validUntil,
      failedUntil: 0,
      failure: undefined,
    });
  }
}

/** After a failed refresh, a CRL before its nextUpdate is still a verified answer. */
function usable(entry: CrlEntry, t: number): Outcome<CrlEntry> {
  if (entry.crl !== undefined && t < entry.validUntil) return success(entry);
  return { ok: false, failure: entry.failure ?? { code: "internal", detail: "CRL entry without a failure" } };
}
