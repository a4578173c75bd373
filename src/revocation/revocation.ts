import type { X509Certificate } from "@peculiar/x509";
import { type Denial, deny } from "../reasons.js";

/**
 * The revocation seam: after the chain check, before the policy. "revoked" is data, not an error
 * (as in Go's x/crypto/ocsp); "unavailable" means no verified answer could be had.
 */
export type RevocationStatus =
  | { readonly status: "good"; readonly source: RevocationSource }
  | {
      readonly status: "revoked";
      readonly source: RevocationSource;
      readonly revokedAt: Date;
      /** RFC 5280 CRLReason name, e.g. "keyCompromise", "certificateHold" */
      readonly revocationReason: string | undefined;
    }
  | { readonly status: "unknown"; readonly source: RevocationSource }
  | { readonly status: "unavailable"; readonly detail: string }
  /** fail mode soft: allowed, but marked as not checked */
  | { readonly status: "unchecked"; readonly detail: string };

export type RevocationSource = "ocsp" | "crl" | "stale-ocsp" | "stale-crl" | "disabled";

/** What the checker needs, computed once when the certificate is first seen and cached with it. */
export interface RevocationSubject {
  readonly leaf: X509Certificate;
  readonly issuer: X509Certificate;
}

export interface RevocationChecker {
  check(subject: RevocationSubject, now: Date): Promise<RevocationStatus>;
  close(): Promise<void>;
}

/** Used when revocation checking is switched off in the configuration. */
export const revocationDisabled: RevocationChecker = {
  check: async () => ({ status: "good", source: "disabled" }),
  close: async () => {},
};

/** The one place a revocation status becomes a deny reason (or none). */
export function revocationDenial(status: RevocationStatus): Denial | undefined {
  switch (status.status) {
    case "good":
    case "unchecked":
      return undefined;
    case "revoked":
      return status.revocationReason === "certificateHold"
        ? deny("CERT_ON_HOLD", `revoked at ${status.revokedAt.toISOString()} (certificateHold)`)
        : deny("CERT_REVOKED", `revoked at ${status.revokedAt.toISOString()} (${status.revocationReason ?? "unspecified"})`);
    case "unknown":
      return deny("CERT_REVOCATION_UNKNOWN", `${status.source} responder does not know the certificate`);
    case "unavailable":
      return deny("REVOCATION_UNAVAILABLE", status.detail);
  }
}
