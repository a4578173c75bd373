import type { Allow } from "./decision.js";
import type { HeaderList } from "./identity.js";

/**
 * The headers an allow sends upstream, for every edge: the TPP identity, and the marks an operator must
 * see (revocation not checked in soft mode, a denial waived by dry-run).
 */
export function upstreamHeaders(decision: Allow, prefix: string): HeaderList {
  const extra: [string, string][] = [];
  if (decision.revocation?.status === "unchecked") extra.push([`${prefix}revocation`, "unchecked"]);
  if (decision.wouldDeny !== undefined) extra.push([`${prefix}dry-run-deny`, decision.wouldDeny.reason]);
  return extra.length === 0 ? decision.identityHeaders : [...decision.identityHeaders, ...extra];
}
