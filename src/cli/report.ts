import type { DenyReason } from "../foundation/reasons.js";
import type { RevocationStatus } from "../revocation/revocation.js";
import type { Actor } from "./advice.js";
import type { InputFormat } from "./certificate_input.js";

/**
 * The `qwac inspect` report: what the text and JSON renderers print, and nothing else, so the two cannot
 * tell different stories. Absent values are null, never missing keys, so the JSON has the same shape for
 * every certificate; `format` changes when that shape does.
 */
export const INSPECT_FORMAT = "qwac-inspect/1";

export interface InspectReport {
  readonly format: typeof INSPECT_FORMAT;
  /** The time validity and chain were judged at (--at, or now). */
  readonly at: string;
  /** bad when any check failed; warnings and skipped checks do not make it bad. */
  readonly verdict: "good" | "bad";
  readonly input: { readonly format: InputFormat; readonly offeredCertificates: number };
  readonly config: string | null;
  readonly certificate: CertificateSection;
  readonly validity: ValiditySection;
  readonly psd2: Psd2Section;
  readonly qcStatements: QcSection;
  readonly checks: Checks;
  /** null unless the config uses trust.trustedLists */
  readonly qualification: QualificationSection | null;
  /** One per deny reason, in check order, each with who must act. */
  readonly problems: readonly Problem[];
}

export interface Checks {
  /** The leaf as a certificate, before trust: well-formed, no critical extension the service refuses. */
  readonly structure: CheckLine;
  readonly qwac: CheckLine;
  readonly validity: CheckLine;
  /** null without --config */
  readonly chain: ChainCheck | null;
  readonly revocation: RevocationCheck | null;
  /** null without --method/--path */
  readonly decision: DecisionCheck | null;
}

export type CheckStatus = "pass" | "fail" | "warn" | "skipped";

export interface CheckLine {
  readonly status: CheckStatus;
  /** The service's deny reason when the check fails, or the one it warns about. */
  readonly reason: DenyReason | null;
  readonly summary: string;
  readonly detail: string | null;
}

export interface ChainCheck extends CheckLine {
  /** Subjects, leaf first, anchor last; empty when no path verified. */
  readonly path: readonly string[];
}

export interface RevocationCheck extends CheckLine {
  readonly revocationStatus: RevocationStatus["status"] | null;
  /** ocsp, crl, stale-ocsp, stale-crl or disabled */
  readonly source: string | null;
}

export interface DecisionCheck extends CheckLine {
  readonly method: string;
  readonly path: string;
  readonly allowed: boolean;
  readonly ruleId: string | null;
  /** The HTTP status the TPP gets on a deny; null on an allow (the upstream answers). */
  readonly httpStatus: number | null;
  /** Berlin Group NextGenPSD2 error code in the deny body. */
  readonly code: string | null;
  readonly requiredRoles: readonly string[];
  readonly certificateRoles: readonly string[];
  /** dry-run: the denial the service reports but does not enforce. */
  readonly wouldDeny: { readonly reason: DenyReason; readonly detail: string | null } | null;
}

/** What the EU trusted lists say about the leaf's issuer (ETSI TS 119 615), as the service decided it. */
export interface QualificationSection {
  /** Where the lists were read: the service's verified copies on disk (nothing is fetched). */
  readonly cacheDir: string;
  /** A LOTL verified (the service would be ready). */
  readonly ready: boolean;
  readonly lists: readonly {
    readonly territory: string;
    readonly sequence: number | null;
    readonly nextUpdate: string | null;
    readonly usable: boolean;
    readonly error: string | null;
  }[];
  /** A service on a usable list issued the certificate (by signature, not by name). */
  readonly listed: boolean;
  readonly qualified: boolean;
  readonly territory: string | null;
  readonly sequence: number | null;
  readonly tsp: string | null;
  readonly service: string | null;
  readonly serviceCertificate: string | null;
  /** The certificate's notBefore: the status "at issuance" is the one in force then. */
  readonly issuedAt: string;
  /** Service status URIs (ETSI TS 119 612 §5.5.4) in force at issuance and at `at`. */
  readonly statusAtIssuance: string | null;
  readonly statusNow: string | null;
  /** The rule that decided (src/trust/trusted_lists/qualification.ts), null when not listed. */
  readonly rule: string | null;
  readonly ruleText: string;
  /** The service's denial for the qualification (CERT_ISSUER_NOT_LISTED, CERT_NOT_QUALIFIED), or null. */
  readonly reason: DenyReason | null;
  readonly detail: string | null;
  /** On no list, but trusted through trust.anchors (a private or test PKI). */
  readonly trustedByAnchors: boolean;
}

export interface Problem {
  readonly check: keyof Checks;
  readonly reason: DenyReason;
  readonly message: string;
  readonly actor: Actor;
  readonly action: string;
}

export interface CertificateSection {
  readonly subject: string;
  readonly issuer: string;
  /** Lower-case hex, as the service logs it. */
  readonly serialNumber: string;
  /** Lower-case hex SHA-256 of the DER: the x-tpp-cert-sha256 header value. */
  readonly sha256: string;
  /** null when the subjectPublicKeyInfo cannot be read (a note says so). */
  readonly publicKey: PublicKeySection | null;
  readonly subjectAltNames: readonly string[];
  readonly policies: readonly { readonly oid: string; readonly name: string | null }[];
  readonly ocspUrls: readonly string[];
  readonly caIssuersUrls: readonly string[];
  /** Every URI of every distribution point, as written (the checker itself uses only complete http ones). */
  readonly crlUrls: readonly string[];
  /** Parts that could not be decoded. */
  readonly notes: readonly string[];
}

export interface PublicKeySection {
  /** e.g. "RSA", "EC", "Ed25519" */
  readonly algorithm: string;
  /** Bits: RSA modulus length, or the curve size. */
  readonly bits: number | null;
  readonly curve: string | null;
}

export interface ValiditySection {
  readonly notBefore: string;
  readonly notAfter: string;
  readonly state: "valid" | "expired" | "not-yet-valid";
  /** Whole days from `at` to notAfter; negative once expired. */
  readonly daysLeft: number;
}

export interface Psd2Section {
  readonly organizationName: string | null;
  /** The subject's organizationIdentifier as written, whether or not it is in PSD2 form. */
  readonly organizationIdentifier: string | null;
  /** Known roles in the service's stable order (as in the x-tpp-roles header); granted by OID. */
  readonly roles: readonly string[];
  readonly unknownRoleOids: readonly string[];
  /** In certificate order, as written. */
  readonly roleEntries: readonly RoleEntry[];
  readonly ncaName: string | null;
  readonly ncaId: string | null;
  /** Why the organizationIdentifier is not in PSD2 form, and why there is no usable PSD2 statement. */
  readonly problems: readonly string[];
}

export interface RoleEntry {
  readonly oid: string;
  readonly name: string;
  /** null for an OID this service does not know (never granted). */
  readonly role: string | null;
}

export interface QcSection {
  readonly decoded: boolean;
  readonly compliance: boolean;
  readonly sscd: boolean;
  readonly types: readonly string[];
  readonly unknownTypeOids: readonly string[];
  readonly pds: readonly { readonly url: string; readonly language: string }[];
  readonly retentionPeriodYears: number | null;
  /** e.g. "EUR 100000" */
  readonly limitValue: string | null;
  readonly legislation: readonly string[];
  /** Statements neither the service nor this report interprets. */
  readonly other: readonly { readonly oid: string; readonly name: string | null }[];
  /** Why the statements (or one of those shown only here) could not be decoded. */
  readonly problems: readonly string[];
}
