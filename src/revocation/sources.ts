import type { IssuerPolicy } from "./config.js";
import { CrlCache, type SourceSettings } from "./crl_cache.js";
import { failed, firstSuccess, type RevocationResult } from "./failure.js";
import { OcspExchange } from "./ocsp_exchange.js";
import type { RevocationSubject, VerifiedAnswer } from "./revocation.js";

/**
 * The source order: where a certificate's answer comes from, the OCSP responder (AIA or per-issuer
 * override, ocsp_exchange.ts) or the CRL (CDP or override, crl_cache.ts), and which is asked first.
 */

export type { SourceSettings } from "./crl_cache.js";

interface Source {
  readonly urls: readonly string[];
  readonly ask: () => Promise<RevocationResult<VerifiedAnswer>>;
}

export class RevocationSources {
  readonly #trySecondSource: boolean;
  readonly #crls: CrlCache;
  readonly #ocsp: OcspExchange;

  constructor(settings: SourceSettings) {
    this.#trySecondSource = settings.config.trySecondSource;
    this.#crls = new CrlCache(settings);
    this.#ocsp = new OcspExchange(settings, this.#crls);
  }

  /**
   * The first source (OCSP, or the CRL with preferCrl or without an OCSP URL); when it gives no verified
   * answer and the certificate has the other, that one too. Never rejects.
   */
  query(
    subject: RevocationSubject,
    policy: IssuerPolicy,
    now: Date,
  ): Promise<RevocationResult<VerifiedAnswer>> {
    const ocspUrls = policy.ocspUrl === undefined ? subject.ocspUrls : [policy.ocspUrl];
    const crlUrls = policy.crlUrl === undefined ? subject.crlUrls : [policy.crlUrl];
    const ocsp: Source = { urls: ocspUrls, ask: () => this.#ocsp.answer(ocspUrls, subject, policy, now) };
    const crl: Source = { urls: crlUrls, ask: () => this.#crls.answer(crlUrls, subject, now) };
    const order = policy.preferCrl || ocspUrls.length === 0 ? [crl, ocsp] : [ocsp, crl];
    const named = order.filter((source) => source.urls.length > 0);
    return firstSuccess(
      this.#trySecondSource ? named : named.slice(0, 1),
      (source) => source.ask(),
      failed("no-source", "the certificate names no OCSP responder and no CRL"),
    );
  }

  async settled(): Promise<void> {
    await this.#crls.settled();
  }

  clear(): void {
    this.#crls.clear();
  }
}
