import type { X509Certificate } from "@peculiar/x509";
import { type Denial, deny } from "../foundation/reasons.js";
import type { Settled } from "../foundation/settled.js";
import type { RevocationFailureCode } from "./failure.js";

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
      readonly ca?: string;
    }
  | { readonly status: "unknown"; readonly source: RevocationSource; readonly ca?: string }
  | {
      readonly status: "unavailable";
      readonly code: RevocationFailureCode;
      readonly detail: string;
      readonly ca?: string;
    }
  /** fail mode soft: allowed, but marked as not checked */
  | {
      readonly status: "unchecked";
      readonly code: RevocationFailureCode;
      readonly detail: string;
      /** Set when the status is about a CA certificate on the path (its subject DN), not the leaf. */
      readonly ca?: string;
    };

export type RevocationSource = "ocsp" | "crl" | "stale-ocsp" | "stale-crl" | "disabled";

/** The two CertID hashes (RFC 6960 4.1.1) for one hash algorithm. */
export interface CertIdHashes {
  /** Hash of the DER of the leaf's issuer name field. */
  readonly issuerNameHash: Uint8Array;
  /** Hash of the issuer's subjectPublicKey BIT STRING value (without tag, length and unused-bits byte). */
  readonly issuerKeyHash: Uint8Array;
}

/**
 * What the checker needs, computed once by `prepareSubject` when the certificate is first seen and cached
 * with it, so a warm Check is one cache lookup: no ASN.1 parsing, no hashing.
 */
export interface RevocationSubject {
  /**
   * Only the issuer is kept: a cached subject must not hold the leaf's parsed certificate alive (a few
   * KiB of ASN.1 objects per TPP certificate); everything needed from the leaf is extracted below.
   */
  readonly issuer: X509Certificate;
  /** Cache key: SHA-256 issuer name hash + issuer key hash + serial, i.e. the CertID without its hash algorithm. */
  readonly key: string;
  /** The leaf's serialNumber INTEGER contents, as in the certificate. */
  readonly serial: Uint8Array;
  /** Lower-case hex of the serial without leading zeros: the CRL lookup key. */
  readonly serialHex: string;
  readonly certId: { readonly sha1: CertIdHashes; readonly sha256: CertIdHashes };
  /** http(s) id-ad-ocsp URLs from the leaf's Authority Information Access, in certificate order. */
  readonly ocspUrls: readonly string[];
  /** http(s) full-name URLs from the leaf's CRL Distribution Points, in certificate order. */
  readonly crlUrls: readonly string[];
  /** Lower-case hex SHA-256 of the issuer certificate's DER: selects per-issuer configuration. */
  readonly issuerFingerprint: string;
  /** The issuer's subject as @peculiar/x509 prints it ("CN=..., O=..., C=..."). */
  readonly issuerSubject: string;
  /**
   * The certificate's basicConstraints cA (false without the extension): selects which CRLs may answer
   * for it, a CA-only CRL (ARL) or a user-only one (RFC 5280 6.3.3 (b)(2)(ii)-(iii)).
   */
  readonly isCa: boolean;
  /** Set when this subject is a CA certificate on the path: its subject DN, named in a denial. */
  readonly ca?: string;
  /**
   * The CA certificates on the path below the anchor that name an OCSP responder or a CRL (RFC 5280
   * 6.3: every certificate on the path is checked), nearest the leaf first. Absent on a CA's own subject.
   */
  readonly cas?: readonly RevocationSubject[];
}

export interface RevocationChecker {
  /**
   * The combined status of the leaf and every CA in `subject.cas`: the cached answers at once when all
   * are fresh (the warm path); a promise when one has to be fetched.
   */
  check(subject: RevocationSubject, now: Date): Settled<RevocationStatus>;
  close(): Promise<void>;
  /** What a successor built on reload starts from (see KeptAnswers); absent when there is nothing. */
  keptAnswers?(now: Date): Iterable<KeptAnswer>;
}

/** A verified OCSP or CRL answer for one certificate, before it is given a cache lifetime. */
export interface VerifiedAnswer {
  readonly status: "good" | "revoked" | "unknown";
  readonly source: "ocsp" | "crl";
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly revokedAt: Date | undefined;
  readonly revocationReason: string | undefined;
  /** When the underlying response or CRL was fetched (ms since epoch, on the Check's clock). */
  readonly fetchedAt: number;
}

/**
 * One verified answer worth carrying over to the next checker: a permanent revocation however old, any
 * other answer while before its nextUpdate. The seam for a persisted or shared store, which would hand
 * over the same records after a restart.
 */
export interface KeptAnswer {
  /** The CertID cache key (RevocationSubject.key). */
  readonly key: string;
  readonly answer: VerifiedAnswer;
  /** RevocationSubject.ca of the certificate the answer is about. */
  readonly ca: string | undefined;
}

const DISABLED: RevocationStatus = Object.freeze({ status: "good", source: "disabled" });

/** Used when revocation checking is switched off in the configuration. */
export const revocationDisabled: RevocationChecker = {
  check: () => DISABLED,
  close: async () => {},
};

/**
 * The decision step's one line: undefined means "go on" (good, or unchecked in soft mode, which the
 * caller marks in a header and the log); otherwise the denial, with the revocation time and reason
 * in the detail for the log.
 */
export function revocationDenial(status: RevocationStatus): Denial | undefined {
  switch (status.status) {
    case "good":
    case "unchecked":
      return undefined;
    case "revoked":
      return deny(
        status.revocationReason === "certificateHold" ? "CERT_ON_HOLD" : "CERT_REVOKED",
        `${about(status.ca)}revoked at ${status.revokedAt.toISOString()}, reason ${status.revocationReason ?? "unspecified"} (${status.source})`,
      );
    case "unknown":
      return deny(
        "CERT_REVOCATION_UNKNOWN",
        `the ${status.source} responder does not know ${status.ca === undefined ? "this certificate" : `the CA certificate "${status.ca}"`}`,
      );
    case "unavailable":
      return deny("REVOCATION_UNAVAILABLE", `${about(status.ca)}${status.code}: ${status.detail}`);
    default:
      // Unreachable for a well-typed status. If a bug ever hands over something else, fail closed.
      return deny("REVOCATION_UNAVAILABLE", "no revocation verdict (internal error)");
  }
}

/** A denial about a CA on the path names it: "issuing CA revoked" must not read as "your certificate". */
function about(ca: string | undefined): string {
  return ca === undefined ? "" : `CA certificate "${ca}" on the path: `;
}
