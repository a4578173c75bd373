import type { Deny } from "../decision/decision.js";
import { REASONS } from "../foundation/reasons.js";
import { roleExplanation } from "./advice.js";
import type { DecisionCheck } from "./report.js";
import type { DecisionFinding } from "./service_checks.js";

/** The service's decision for --method/--path as a report line, in words a TPP understands. Pure. */

const TRANSPORT_NOTE =
  "the CLI presents the certificate directly: the configured certificate sources (proxy headers, " +
  "trusted hops) and SNI rules are not evaluated";

export function decisionCheck(finding: DecisionFinding): DecisionCheck {
  const { decision, method, path } = finding;
  const route = decision.route;
  const common = {
    method,
    path,
    allowed: decision.allowed,
    ruleId: route?.ruleId ?? null,
    requiredRoles: route?.kind === "roles" ? route.anyOf : [],
    certificateRoles: decision.tpp?.roles ?? [],
  };
  const assumed = finding.revocationAssumedGood ? " (revocation not checked: --no-revocation)" : "";
  const rule = route === undefined ? "" : ` (rule ${route.ruleId})`;
  const note = finding.transportNotEvaluated ? TRANSPORT_NOTE : undefined;
  if (!decision.allowed) {
    const { status, code } = REASONS[decision.reason];
    return {
      ...common,
      status: "fail",
      reason: decision.reason,
      summary: `DENY ${method} ${path}: ${decision.reason}, HTTP ${status} ${code}${rule}${assumed}`,
      detail: joined(denyExplanation(finding, decision), note),
      httpStatus: status,
      code,
      wouldDeny: null,
    };
  }
  const wouldDeny = decision.wouldDeny;
  const what =
    decision.route.kind === "public"
      ? "public route, no certificate needed"
      : `roles ${common.requiredRoles.join(" or ")}`;
  const summary = `ALLOW ${method} ${path}${rule}, ${what}${assumed}`;
  return {
    ...common,
    status: wouldDeny === undefined ? "pass" : "warn",
    reason: wouldDeny?.reason ?? null,
    summary:
      wouldDeny === undefined ? summary : `${summary}; dry-run: enforcing would DENY ${wouldDeny.reason}`,
    detail: joined(wouldDeny?.detail, note),
    httpStatus: null,
    code: null,
    wouldDeny:
      wouldDeny === undefined ? null : { reason: wouldDeny.reason, detail: wouldDeny.detail ?? null },
  };
}

/** A role denial names the roles on both sides: that sentence is what goes into the ticket. */
function denyExplanation(finding: DecisionFinding, decision: Deny): string | undefined {
  const route = decision.route;
  if (decision.reason === "ROLE_NOT_ALLOWED" && route?.kind === "roles") {
    return roleExplanation(finding, route.ruleId, route.anyOf, decision.tpp?.roles ?? []);
  }
  return decision.detail;
}

function joined(...parts: (string | undefined)[]): string | null {
  const present = parts.filter((part): part is string => part !== undefined && part !== "");
  return present.length === 0 ? null : present.join("; ");
}
