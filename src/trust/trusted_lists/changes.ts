import {
  ASI_WEBSITE_AUTHENTICATION,
  QUALIFIER_QC_FOR_WSA,
  SERVICE_TYPE_CA_QC,
  type TrustService,
} from "./model.js";
import type { TrustedListsView } from "./store.js";

/** A change, between two views, of a service that admits TPPs (a CA/QC issuing for website authentication). */
export interface AdmittingServiceChange {
  readonly territory: string;
  readonly tsp: string;
  readonly service: string;
  /** Status URIs; undefined when the service (or its territory) is not in that view. */
  readonly before: string | undefined;
  readonly after: string | undefined;
}

function admitsTpps(service: TrustService): boolean {
  const c = service.current;
  return (
    c.type === SERVICE_TYPE_CA_QC &&
    (c.additionalServiceInformation.includes(ASI_WEBSITE_AUTHENTICATION) ||
      c.qualifications.some((q) => q.qualifiers.includes(QUALIFIER_QC_FOR_WSA)))
  );
}

function statuses(
  view: TrustedListsView | undefined,
): Map<string, { territory: string; tsp: string; service: string; status: string }> {
  const out = new Map<string, { territory: string; tsp: string; service: string; status: string }>();
  for (const state of view?.territories.values() ?? []) {
    if (!state.usable || state.list === undefined) continue;
    for (const tsp of state.list.providers) {
      for (const service of tsp.services.filter(admitsTpps)) {
        const entry = {
          territory: state.territory,
          tsp: tsp.name,
          service: service.current.name,
          status: service.current.status,
        };
        out.set(JSON.stringify([entry.territory, entry.tsp, entry.service]), entry);
      }
    }
  }
  return out;
}

/** What an operator must see in the log after a swap: a QWAC issuer appeared, vanished or changed status. */
export function admittingServiceChanges(
  before: TrustedListsView | undefined,
  after: TrustedListsView,
): AdmittingServiceChange[] {
  const a = statuses(before);
  const b = statuses(after);
  const changes: AdmittingServiceChange[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (x?.status === y?.status) continue;
    const who = (y ?? x) as { territory: string; tsp: string; service: string };
    changes.push({
      territory: who.territory,
      tsp: who.tsp,
      service: who.service,
      before: x?.status,
      after: y?.status,
    });
  }
  return changes;
}
