/**
 * Why a trusted list (LOTL or Member State TL) was refused. A closed set: callers, metrics and tests match
 * on the code, never on the message (the message names the file and the detail for the operator).
 */
export type TrustedListErrorCode =
  | "TOO_LARGE"
  | "NOT_WELL_FORMED"
  | "DTD_FORBIDDEN"
  | "NOT_A_TRUST_LIST"
  | "UNSUPPORTED_VERSION"
  | "SIGNATURE_MISSING"
  | "SIGNATURE_PROFILE"
  | "SIGNATURE_ALGORITHM"
  | "SIGNER_KEY_WEAK"
  | "SIGNER_NOT_ANNOUNCED"
  | "SIGNING_CERTIFICATE_MISMATCH"
  | "SIGNING_TIME_OUTSIDE_VALIDITY"
  | "SIGNATURE_INVALID"
  | "CONTENT_IN_SIGNATURE"
  | "MALFORMED_CONTENT"
  | "PIVOT_CHAIN_BROKEN"
  | "SEQUENCE_ROLLBACK"
  | "FETCH_FAILED";

export class TrustedListError extends Error {
  override readonly name = "TrustedListError";
  constructor(
    readonly code: TrustedListErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
