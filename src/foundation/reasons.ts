/**
 * The closed set of reasons a request is denied. One table drives the HTTP status, the Berlin Group
 * error code in the body, the human text, the reason header, the log line and the metric label, so a
 * reason cannot mean one thing to the TPP and another to the operator.
 */
export const REASONS = {
  CERT_MISSING: { status: 401, code: "CERTIFICATE_MISSING", text: "No client certificate was presented." },
  CERT_MALFORMED: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The client certificate could not be decoded.",
  },
  CERT_NOT_QWAC: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The client certificate is not a qualified website authentication certificate (QWAC).",
  },
  CERT_PSD2_STATEMENT_INVALID: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The certificate's PSD2 QC statement is missing or malformed.",
  },
  CERT_ROLE_MISMATCH: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "A PSD2 role name in the certificate does not match its role OID.",
  },
  CERT_ORG_ID_INVALID: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The certificate's organizationIdentifier is missing, not in PSD2 form, or inconsistent with the NCA.",
  },
  CERT_NOT_YET_VALID: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The client certificate is not yet valid.",
  },
  CERT_EXPIRED: { status: 401, code: "CERTIFICATE_EXPIRED", text: "The client certificate has expired." },
  CERT_UNTRUSTED: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The client certificate does not chain to a trusted qualified trust service provider.",
  },
  CERT_ISSUER_NOT_LISTED: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "No trust service on a loaded EU trusted list issued the client certificate.",
  },
  CERT_NOT_QUALIFIED: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The issuing trust service is not granted for website authentication, at issuance or now.",
  },
  CERT_CHAIN_INVALID: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The certificate chain violates a constraint (validity, CA flag, key usage or extended key usage).",
  },
  // The NextGenPSD2 OpenAPI file spells it CERTIFICATE_REVOKE (MessageCode401* enums), and clients
  // generated from it accept only that spelling; the Implementation Guidelines' prose says _REVOKED.
  // The machine-readable contract wins (README "Berlin Group codes"; test/fixtures/berlin_group_codes.json).
  CERT_REVOKED: {
    status: 401,
    code: "CERTIFICATE_REVOKE",
    text: "The client certificate has been revoked.",
  },
  CERT_ON_HOLD: { status: 401, code: "CERTIFICATE_BLOCKED", text: "The client certificate is suspended." },
  CERT_REVOCATION_UNKNOWN: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The certificate's issuer does not know this certificate.",
  },
  // Nothing is wrong with the certificate: the bank's side could not get an answer in time (responder
  // down or slow). A 503 with Retry-After (RFC 9110 §15.6.4, §10.2.3) tells the TPP to retry, not to renew
  // its QWAC. The framework defines no tppMessage code for 503, so the code names the condition.
  REVOCATION_UNAVAILABLE: {
    status: 503,
    code: "SERVICE_UNAVAILABLE",
    text: "The certificate's revocation status could not be verified in time; retry later.",
    retryAfterSeconds: 5,
  },
  CERT_FORWARDED_UNTRUSTED_HOP: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The client certificate was forwarded by a party the gateway does not trust to forward it.",
  },
  // RFC 9421 signature of the proxy that forwarded the certificate (docs/signed-forwarding.md). The TPP
  // can rarely cause these, so the text blames no one; the log detail tells the operator which check failed.
  FORWARDED_SIGNATURE_MISSING: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The forwarded client certificate was not signed by the proxy that received it.",
  },
  FORWARDED_SIGNATURE_MALFORMED: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The signature over the forwarded client certificate could not be read.",
  },
  FORWARDED_SIGNATURE_UNKNOWN_KEY: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The forwarded client certificate was signed with a key the gateway does not know.",
  },
  FORWARDED_SIGNATURE_INVALID: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The signature over the forwarded client certificate does not match the request.",
  },
  FORWARDED_SIGNATURE_EXPIRED: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The signature over the forwarded client certificate is outside its validity window.",
  },
  FORWARDED_SIGNATURE_REPLAYED: {
    status: 401,
    code: "CERTIFICATE_INVALID",
    text: "The signature over the forwarded client certificate was already used.",
  },
  SNI_MISSING: {
    status: 400,
    code: "FORMAT_ERROR",
    text: "The TLS connection did not name the server (SNI), which this gateway requires.",
  },
  // SERVICE_INVALID is a 400/405 code in the framework; 405 would need an Allow header (RFC 9110
  // §15.5.6) naming methods the gateway cannot know, so both SERVICE_INVALID reasons answer 400.
  SNI_MISMATCH: {
    status: 400,
    code: "SERVICE_INVALID",
    text: "The TLS connection named a server (SNI) that this gateway does not serve.",
  },
  // ROLE_INVALID is a 401 code in the framework's OpenAPI (MessageCode401*), not 403.
  ROLE_NOT_ALLOWED: {
    status: 401,
    code: "ROLE_INVALID",
    text: "The TPP's PSD2 roles do not permit this request.",
  },
  ROUTE_NOT_ALLOWED: {
    status: 400,
    code: "SERVICE_INVALID",
    text: "No policy rule permits this method and path.",
  },
  PATH_INVALID: {
    status: 400,
    code: "FORMAT_ERROR",
    text: "The request path is not in a form the gateway accepts.",
  },
  REQUEST_INVALID: {
    status: 400,
    code: "FORMAT_ERROR",
    text: "The request could not be read.",
  },
} as const satisfies Record<string, ReasonEntry>;

export interface ReasonEntry {
  readonly status: 400 | 401 | 503;
  readonly code: string;
  readonly text: string;
  /** Sent as `Retry-After` (seconds) on a transient failure of the bank's side. */
  readonly retryAfterSeconds?: number;
}

export type DenyReason = keyof typeof REASONS;

export const DENY_REASONS = Object.keys(REASONS) as DenyReason[];

/** A failed step: the reason plus details for the log (never shown to the TPP beyond the reason text). */
export interface Denial {
  readonly reason: DenyReason;
  readonly detail?: string;
}

export function deny(reason: DenyReason, detail?: string): Denial {
  return detail === undefined ? { reason } : { reason, detail };
}
