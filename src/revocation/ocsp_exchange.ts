import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { IssuerPolicy } from "./config.js";
import { lookupSerial } from "./crl.js";
import type { CrlCache, SourceSettings } from "./crl_cache.js";
import { failed, firstSuccess, type RevocationResult, success } from "./failure.js";
import { type BytesRequest, fetchBytes } from "./http_fetch.js";
import { buildOcspRequest, type OcspAnswer, verifyOcspResponse } from "./ocsp.js";
import type { RevocationSubject, VerifiedAnswer } from "./revocation.js";

/**
 * The OCSP exchange (RFC 6960, RFC 5019): build the request, POST or GET it to each responder URL in
 * turn, verify the response, and check a delegated responder that has no id-pkix-ocsp-nocheck against
 * the CA's CRL. Not cached here: the answer lands in the checker's per-certificate cache.
 */

/** RFC 5019 5: GET when the encoded request is less than 255 bytes (larger ones may not survive proxies). */
const MAX_GET_REQUEST_LENGTH = 255;
/** RFC 8954 2.1 allows 1 to 32 octets; 32 leaves nothing to guess. */
const NONCE_BYTES = 32;

export class OcspExchange {
  readonly #settings: SourceSettings;
  readonly #crls: CrlCache;

  constructor(settings: SourceSettings, crls: CrlCache) {
    this.#settings = settings;
    this.#crls = crls;
  }

  /** The first verified answer from `urls`, else the last failure. Never rejects. */
  answer(
    urls: readonly string[],
    subject: RevocationSubject,
    policy: IssuerPolicy,
    now: Date,
  ): Promise<RevocationResult<VerifiedAnswer>> {
    return firstSuccess(
      urls,
      async (url) => {
        const started = performance.now();
        const outcome = await this.#askResponder(url, subject, policy, now);
        this.#settings.emit({
          type: "fetch",
          source: "ocsp",
          outcome: outcome.ok ? "answer" : outcome.error.code,
          durationMs: performance.now() - started,
        });
        return outcome;
      },
      failed("no-source", "no OCSP responder"),
    );
  }

  async #askResponder(
    url: string,
    subject: RevocationSubject,
    policy: IssuerPolicy,
    now: Date,
  ): Promise<RevocationResult<VerifiedAnswer>> {
    const nonce = policy.nonce ? new Uint8Array(randomBytes(NONCE_BYTES)) : undefined;
    const request = buildOcspRequest({ subject, hash: policy.hash, nonce });
    const fetched = await fetchBytes(this.#settings.fetch, this.#httpRequest(url, request, policy));
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

  #httpRequest(url: string, request: Uint8Array, policy: IssuerPolicy): BytesRequest {
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
  ): Promise<RevocationResult<true>> {
    const responder = answer.responderToCheck;
    if (responder === undefined || responder.crlUrls.length === 0) return success(true);
    // A responder certificate is an end entity (EKU id-kp-OCSPSigning): a CA-only CRL is silent about it.
    const certificate = { distributionPoints: responder.crlUrls, isCa: false };
    const crl = await this.#crls.firstCovering(responder.crlUrls, certificate, subject, now);
    if (!crl.ok) return crl;
    const entry = lookupSerial(crl.value.crl, responder.serialHex);
    if (entry !== undefined) {
      return failed(
        "responder-revoked",
        `the OCSP responder certificate was revoked (${entry.reason ?? "unspecified"})`,
      );
    }
    return success(true);
  }
}
