import { type Denial, deny } from "../../foundation/reasons.js";
import type { Qualification } from "./qualification.js";

const tail = (uri: string | undefined): string =>
  uri === undefined ? "none" : (uri.split("/").at(-1) ?? uri);

/** The denial for a certificate the lists do not qualify; undefined when they do. */
export function qualificationDenial(q: Qualification, subject: string): Denial | undefined {
  if (!q.listed) return deny("CERT_ISSUER_NOT_LISTED", `"${subject}": no listed trust service issued it`);
  if (q.qualified) return undefined;
  return deny(
    "CERT_NOT_QUALIFIED",
    `"${subject}": territory ${q.territory}, TSP "${q.tsp}", service "${q.service}", status at issuance ` +
      `${tail(q.statusAtIssuance)}, now ${tail(q.statusNow)} (${q.rule})`,
  );
}
