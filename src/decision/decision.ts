import type { Denial, DenyReason } from "../foundation/reasons.js";
import type { RouteRequirement } from "../policy/policy.js";
import type { RevocationStatus } from "../revocation/revocation.js";
import type { CertificateOrigin, PresentedCertificate } from "../source/decoding/presented_certificate.js";
import type { HeaderList, TppIdentity } from "./identity.js";

/** The outcome of one Check, independent of how it goes back on the wire. */
export type Decision = Allow | Deny;

export interface Allow {
  readonly allowed: true;
  readonly route: RouteRequirement;
  /** Absent on a public route. */
  readonly tpp: TppIdentity | undefined;
  readonly identityHeaders: HeaderList;
  readonly revocation: RevocationStatus | undefined;
  readonly certificateVia: CertificateOrigin | undefined;
  /** The query-free path that was matched, safe to log. */
  readonly path: string;
  /** Set in dry-run: the denial that was not enforced. */
  readonly wouldDeny: Denial | undefined;
}

export interface Deny {
  readonly allowed: false;
  readonly reason: DenyReason;
  /** For the log only; never sent to the client. */
  readonly detail: string | undefined;
  /** The rule that applied, when the path got that far (its mode decides dry-run). */
  readonly route: RouteRequirement | undefined;
  readonly tpp: TppIdentity | undefined;
  /** Identity headers of a verified certificate, kept so a dry-run allow can still send them. */
  readonly identityHeaders: HeaderList;
  readonly revocation: RevocationStatus | undefined;
  readonly certificateVia: CertificateOrigin | undefined;
  /** The query-free path when it was safe, otherwise undefined (never log a hostile raw path). */
  readonly path: string | undefined;
  /**
   * The certificate presented, when it was refused before it yielded a TPP identity (expired, malformed,
   * untrusted...): the log, the audit trail and Envoy's metadata name it by SHA-256, serial and issuer.
   */
  readonly certificate?: PresentedCertificate | undefined;
}
