import type { CheckInput } from "../../foundation/check_input.js";
import type { Result } from "../../foundation/result.js";
import type { CertificateOrigin, PresentedCertificate } from "./presented_certificate.js";

/**
 * One place a client certificate can come from. Every source has the same small contract, so the ordered
 * list (CertificateSources) treats Envoy's own peer certificate and a forwarded header alike, apart from
 * the one rule that tells them apart: a forwarded header counts only from a trusted hop.
 */
export interface CertificateSource {
  readonly origin: CertificateOrigin;
  /**
   * The request headers this source reads, lower-case. Empty for the connection's own certificate; a
   * source with headers is a forwarded source, honoured only from a trusted hop.
   */
  readonly headers: readonly string[];
  /** undefined when this source has nothing in the request; otherwise the decoded certificate or why not. */
  read(input: CheckInput): Result<PresentedCertificate> | undefined;
}

/** Most certificates a forwarded chain may carry besides the leaf; real QWAC chains have one or two. */
export const MAX_OFFERED_CERTIFICATES = 8;
