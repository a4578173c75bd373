import { readableName } from "../foundation/readable_name.js";
import type { QualificationRule } from "../trust/trusted_lists/qualification.js";
import type { ListsFinding } from "./list_qualification.js";
import type { QualificationSection } from "./report.js";

/** The lists' verdict on the leaf as a report section: facts in, words out, no rule restated. Pure. */
export function qualificationSection(finding: ListsFinding): QualificationSection {
  const q = finding.qualification;
  const listed = q.listed ? q : undefined;
  return {
    cacheDir: finding.cacheDir,
    ready: finding.ready,
    lists: finding.lists,
    listed: listed !== undefined,
    qualified: listed?.qualified ?? false,
    territory: listed?.territory ?? null,
    sequence: finding.sequence ?? null,
    tsp: listed?.tsp ?? null,
    service: listed?.service ?? null,
    serviceCertificate: listed === undefined ? null : readableName(listed.serviceCertificate.subjectName),
    issuedAt: finding.notBefore.toISOString(),
    statusAtIssuance: listed?.statusAtIssuance ?? null,
    statusNow: listed?.statusNow ?? null,
    rule: listed?.rule ?? null,
    ruleText: ruleText(finding),
    reason: finding.denial?.reason ?? null,
    detail: finding.denial?.detail ?? null,
    trustedByAnchors: finding.trustedByAnchors,
  };
}

/** The last segment of a status URI: ".../Svcstatus/granted" -> "granted". */
export function statusName(uri: string | null): string {
  return uri === null ? "none" : (uri.split("/").at(-1) ?? uri);
}

function ruleText(finding: ListsFinding): string {
  const q = finding.qualification;
  if (!q.listed) {
    const anchors = finding.trustedByAnchors ? "; trusted by trust.anchors instead" : "";
    return `no service on a loaded, usable list issued it${anchors}`;
  }
  const wsa = q.websiteAuthentication;
  if (q.qualified && wsa !== undefined) {
    const basis = wsa.atIssuance === wsa.now ? wsa.now : `${wsa.atIssuance} at issuance, ${wsa.now} now`;
    return `granted at issuance and now; ${basis}`;
  }
  return RULE_TEXT[q.rule](statusName(q.statusAtIssuance ?? null), statusName(q.statusNow ?? null));
}

const RULE_TEXT: Readonly<Record<QualificationRule, (atIssuance: string, now: string) => string>> = {
  "granted-wsa": () => "granted at issuance and now, for website authentication",
  "no-state-at-issuance": () => "the service has no status in force at the certificate's notBefore",
  "not-granted-at-issuance": (issued) => `not granted at issuance (${issued})`,
  "not-granted-now": (issued, now) => `granted at issuance (${issued}), not now (${now})`,
  "wsa-not-applicable-at-issuance": () =>
    "not for website authentication at issuance (no ForWebSiteAuthentication, no single QCForWSA qualifier)",
  "wsa-not-applicable-now": () =>
    "not for website authentication now (no ForWebSiteAuthentication, no single QCForWSA qualifier)",
  "not-qualified-qualifier": () => "a NotQualified qualifier selects the certificate",
  "not-a-qc-service": () => "the service is not a CA/QC service",
  "conflicting-services": () => "two services for this CA disagree, so it is not qualified",
};
