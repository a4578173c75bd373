import { readableName } from "../foundation/readable_name.js";
import { type Denial, type DenyReason, REASONS } from "../foundation/reasons.js";
import type { Result } from "../foundation/result.js";
import { expiryDaysLeft, expiryThresholdDays } from "../ops/expiry_watch.js";
import type { Qwac } from "../qwac/qwac.js";
import { type RevocationStatus, revocationDenial } from "../revocation/revocation.js";
import type { ChainResult } from "../trust/chain.js";
import type { ChainCheck, CheckLine, RevocationCheck, ValiditySection } from "./report.js";
import type { RevocationFinding, ServiceFacts } from "./service_checks.js";

/** One line per check of the certificate itself: facts in, verdict and words out. Pure. */

/** For "valid from ... (in N days)" only; the expiry rule and its day count are the service's. */
const DAY_MS = 86_400_000;

export function structureCheck(denial: Denial | undefined): CheckLine {
  if (denial !== undefined) return failed(denial);
  return {
    status: "pass",
    reason: null,
    summary: "well-formed, no critical extension the service does not process",
    detail: null,
  };
}

export function qwacCheck(qwac: Result<Qwac>, acceptEseal: boolean): CheckLine {
  if (!qwac.ok) return failed(qwac.error);
  const { qcTypes, roles, unknownRoleOids } = qwac.value;
  const kind = qcTypes.includes("web")
    ? "a QWAC"
    : acceptEseal
      ? "a QSealC, accepted because qwac.acceptEseal is on"
      : "a qualified certificate";
  const unknown =
    unknownRoleOids.length === 0 ? "" : ` (and ${unknownRoleOids.length} unknown role OID(s), never granted)`;
  return {
    status: "pass",
    reason: null,
    summary: `${kind} for PSD2, roles ${roles.join(", ")}${unknown}`,
    detail: null,
  };
}

/** The leaf's validity period: an X509Certificate is one. */
export interface CertificatePeriod {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function validityOf(cert: CertificatePeriod, at: Date): ValiditySection {
  const t = at.getTime();
  const state =
    t < cert.notBefore.getTime() ? "not-yet-valid" : t > cert.notAfter.getTime() ? "expired" : "valid";
  return {
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    state,
    daysLeft: expiryDaysLeft(cert.notAfter.getTime() - t),
  };
}

/** Judged without --config too: an expired QWAC is bad whatever the trust configuration. */
export function validityCheck(cert: CertificatePeriod, at: Date): CheckLine {
  const validity = validityOf(cert, at);
  if (validity.state === "not-yet-valid") {
    const days = Math.ceil((cert.notBefore.getTime() - at.getTime()) / DAY_MS);
    const summary = `NOT YET VALID: valid from ${validity.notBefore} (in ${plural(days, "day")})`;
    return { status: "fail", reason: "CERT_NOT_YET_VALID", summary, detail: null };
  }
  if (validity.state === "expired") {
    const ago = -validity.daysLeft - 1;
    const when = ago === 0 ? "less than a day ago" : `${plural(ago, "day")} ago`;
    return {
      status: "fail",
      reason: "CERT_EXPIRED",
      summary: `EXPIRED on ${validity.notAfter} (${when})`,
      detail: null,
    };
  }
  const summary = `valid until ${validity.notAfter} (${plural(validity.daysLeft, "day")} left)`;
  // Inside the service's first expiry warning (src/ops/expiry_watch.ts): the operator's logs warn too.
  if (expiryThresholdDays(cert.notAfter.getTime() - at.getTime()) !== undefined) {
    return { status: "warn", reason: null, summary: `${summary}: renew soon`, detail: null };
  }
  return { status: "pass", reason: null, summary, detail: null };
}

export function chainCheck(service: ServiceFacts): ChainCheck {
  const chain = service.chain;
  if (!chain.ok) return { ...failed(chain.error, offeredHint(service.chainWithOffered)), path: [] };
  return {
    status: "pass",
    reason: null,
    summary: `chains to trust anchor "${chain.value.anchor.subject}"`,
    detail: null,
    path: chain.value.path.map((cert) => readableName(cert.subjectName)),
  };
}

/** The service gets the leaf alone (Envoy's peer certificate): a chain completed by the file does not count. */
function offeredHint(withOffered: Result<ChainResult> | undefined): string | undefined {
  if (withOffered === undefined || !withOffered.ok) return undefined;
  const missing = withOffered.value.path.slice(1, -1).map((cert) => `"${cert.subject}"`);
  return (
    "the certificates offered with the leaf complete the chain, but Envoy passes only the leaf: " +
    `add ${missing.join(", ")} to trust.intermediates`
  );
}

export function revocationCheck(finding: RevocationFinding): RevocationCheck {
  const none = { revocationStatus: null, source: null };
  switch (finding.kind) {
    case "skipped": {
      const summary =
        finding.why === "option"
          ? "not checked (--no-revocation)"
          : "not checked: only a verified chain names the issuer that signs OCSP answers and CRLs";
      return { status: "skipped", reason: null, summary, detail: null, ...none };
    }
    case "unprepared":
      return { ...failed(finding.denial), ...none };
    case "checked":
      return {
        ...statusLine(finding.status),
        revocationStatus: finding.status.status,
        source: sourceOf(finding.status),
      };
  }
}

/**
 * The service's own verdict on the status (revocationDenial) decides: what denies there fails here, with
 * the service's reason and detail. What it lets through is a pass, or a warning when the answer was stale
 * (stale-if-error) or missing (soft fail, marked "unchecked").
 */
function statusLine(status: RevocationStatus): CheckLine {
  const denial = revocationDenial(status);
  if (denial !== undefined) return failed(denial);
  switch (status.status) {
    case "good":
      if (status.source === "disabled") return skipped("off in the config (revocation.enabled: false)");
      if (status.source.startsWith("stale-")) {
        const summary = `not revoked, by a stale ${sourceName(status.source)} answer (failMode stale-if-error)`;
        return { status: "warn", reason: null, summary, detail: null };
      }
      return {
        status: "pass",
        reason: null,
        summary: `not revoked (${sourceName(status.source)})`,
        detail: null,
      };
    case "unchecked":
      return {
        status: "warn",
        reason: "REVOCATION_UNAVAILABLE",
        summary: "no verified answer; failMode soft lets the request through, marked unchecked",
        detail: `${status.code}: ${status.detail}`,
      };
    default:
      // Every other status is a denial above; one that is not would be a bug, and fails closed here too.
      return failed({ reason: "REVOCATION_UNAVAILABLE", detail: `no denial for status ${status.status}` });
  }
}

function sourceOf(status: RevocationStatus): string | null {
  return "source" in status ? status.source : null;
}

function sourceName(source: string): string {
  return source.replace(/^stale-/, "").toUpperCase();
}

function skipped(summary: string): CheckLine {
  return { status: "skipped", reason: null, summary, detail: null };
}

/** A denial as a failed line: the reason's own text, the specifics in the detail. */
export function failed(denial: Denial, hint?: string): CheckLine {
  const detail = [denial.detail, hint].filter((part): part is string => part !== undefined).join("; ");
  return {
    status: "fail",
    reason: denial.reason,
    summary: reasonText(denial.reason),
    detail: detail === "" ? null : detail,
  };
}

export function reasonText(reason: DenyReason): string {
  return REASONS[reason].text.replace(/\.$/, "");
}

export function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}
