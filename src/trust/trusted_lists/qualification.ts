import type { X509Certificate } from "@peculiar/x509";
import { type CertFacts, certFacts } from "../cert_facts.js";
import { issuedBy } from "../signature.js";
import { type CriteriaFacts, criteriaFacts, criteriaMatch } from "./criteria.js";
import {
  ASI_WEBSITE_AUTHENTICATION,
  QUALIFIER_NOT_QUALIFIED,
  QUALIFIER_QC_FOR_WSA,
  SERVICE_TYPE_CA_QC,
  type ServiceState,
  STATUS_GRANTED,
  type TrustedList,
  type TrustService,
} from "./model.js";

const QUALIFIER_BASE = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/";
/** The three "QC for" type qualifiers (§5.5.9.2.3); one matching decides the type over the ASI. */
const TYPE_QUALIFIERS: ReadonlySet<string> = new Set([
  `${QUALIFIER_BASE}QCForESig`,
  `${QUALIFIER_BASE}QCForESeal`,
  QUALIFIER_QC_FOR_WSA,
]);

/** A service that issued the certificate, with where it is listed. */
export interface ListedService {
  readonly territory: string;
  readonly tsp: string;
  readonly service: TrustService;
}

/** The rule that decided, for the denial detail, the log and `qwac inspect`. */
export type QualificationRule =
  | "granted-wsa"
  | "no-state-at-issuance"
  | "not-granted-at-issuance"
  | "not-granted-now"
  | "wsa-not-applicable-at-issuance"
  | "wsa-not-applicable-now"
  | "not-qualified-qualifier"
  | "not-a-qc-service"
  | "conflicting-services";

/** Where website authentication came from in one service state (ETSI TS 119 615 §4.3.6). */
export type WebsiteAuthenticationBasis = "QCForWSA" | "ForWebSiteAuthentication";

export type Qualification =
  | { readonly listed: false }
  | {
      readonly listed: true;
      readonly qualified: boolean;
      readonly rule: QualificationRule;
      readonly territory: string;
      readonly tsp: string;
      readonly service: string;
      readonly statusAtIssuance: string | undefined;
      readonly statusNow: string | undefined;
      /** The service certificate that issued the TPP certificate (or tops its chain). */
      readonly serviceCertificate: X509Certificate;
      /**
       * All identity certificates of that service: re-issued CA certificates share key and subject (NL's
       * Qualified Web ICA G1 lists three), and the chain may end at whichever is valid.
       */
      readonly serviceCertificates: readonly X509Certificate[];
      /** Only when qualified: what made website authentication apply at issuance and now. */
      readonly websiteAuthentication:
        | { readonly atIssuance: WebsiteAuthenticationBasis; readonly now: WebsiteAuthenticationBasis }
        | undefined;
    };

interface Candidate extends ListedService {
  readonly certificate: X509Certificate;
}

/**
 * The services of a set of verified lists, indexed by the subject name key of their identity certificates,
 * built once per list set so a Check only looks up and verifies one signature per candidate.
 */
export class ServiceIndex {
  private readonly bySubject = new Map<string, Candidate[]>();

  constructor(lists: readonly TrustedList[]) {
    for (const list of lists) {
      for (const tsp of list.providers) {
        for (const service of tsp.services) {
          for (const certificate of service.identity.certificates) {
            const facts = certFacts(certificate);
            if (!facts.ok) continue;
            const entry = { territory: list.territory, tsp: tsp.name, service, certificate };
            const bucket = this.bySubject.get(facts.value.subjectKey);
            if (bucket === undefined) this.bySubject.set(facts.value.subjectKey, [entry]);
            else bucket.push(entry);
          }
        }
      }
    }
  }

  /** Every service identity certificate: the anchors when the listed CA sits above the issuing CA. */
  certificates(): X509Certificate[] {
    return [...this.bySubject.values()].flat().map((c) => c.certificate);
  }

  /** The services one listed certificate identifies (byte-equal DER). */
  servicesOf(certificate: X509Certificate): Candidate[] {
    const der = Buffer.from(certificate.rawData);
    return [...this.bySubject.values()].flat().filter((c) => Buffer.from(c.certificate.rawData).equals(der));
  }

  /**
   * Services whose identity certificate issued `cert`: same subject as the issuer name AND the signature
   * verifies with that certificate's key (ETSI TS 119 615 §4.1; a name alone proves nothing).
   */
  async issuersOf(cert: X509Certificate, facts: CertFacts): Promise<Candidate[]> {
    const out: Candidate[] = [];
    for (const candidate of this.bySubject.get(facts.issuerKey) ?? []) {
      if (out.some((o) => o.service === candidate.service)) continue;
      if ((await issuedBy(cert, facts, candidate.certificate)).ok) out.push(candidate);
    }
    return out;
  }
}

/** The service state in force at `when`: the entry with the latest StatusStartingTime not after it. */
export function stateAt(service: TrustService, when: Date): ServiceState | undefined {
  let best: ServiceState | undefined;
  for (const state of [service.current, ...service.history]) {
    if (state.statusStartingTime > when) continue;
    if (best === undefined || state.statusStartingTime > best.statusStartingTime) best = state;
  }
  return best;
}

type StateVerdict =
  | WebsiteAuthenticationBasis
  | "not-granted"
  | "wsa-not-applicable"
  | "not-qualified-qualifier"
  | "not-a-qc-service";

/**
 * One state says "qualified for website authentication" (ETSI TS 119 615 §4.3.4-§4.3.6, as DSS): a CA/QC
 * service, granted, no NotQualified qualifier selecting the certificate, and website authentication from a
 * single matching "QC for" qualifier, or else from the ASI. Criteria that cannot be evaluated fail closed.
 */
function judgeState(state: ServiceState, facts: CriteriaFacts): StateVerdict {
  if (state.type !== SERVICE_TYPE_CA_QC) return "not-a-qc-service";
  if (state.status !== STATUS_GRANTED) return "not-granted";
  const selecting = (qualifier: string, unknownMeans: boolean): boolean =>
    state.qualifications.some(
      (q) => q.qualifiers.includes(qualifier) && (criteriaMatch(q.criteria, facts) ?? unknownMeans),
    );
  if (selecting(QUALIFIER_NOT_QUALIFIED, true)) return "not-qualified-qualifier";
  const types = [...TYPE_QUALIFIERS].filter((t) => selecting(t, false));
  if (types.length === 1) return types[0] === QUALIFIER_QC_FOR_WSA ? "QCForWSA" : "wsa-not-applicable";
  if (types.length > 1) return "wsa-not-applicable";
  return state.additionalServiceInformation.includes(ASI_WEBSITE_AUTHENTICATION)
    ? "ForWebSiteAuthentication"
    : "wsa-not-applicable";
}

function applies(verdict: StateVerdict): verdict is WebsiteAuthenticationBasis {
  return verdict === "QCForWSA" || verdict === "ForWebSiteAuthentication";
}

function ruleFor(verdict: StateVerdict, when: "at-issuance" | "now"): QualificationRule {
  switch (verdict) {
    case "QCForWSA":
    case "ForWebSiteAuthentication":
      return "granted-wsa";
    case "not-granted":
      return when === "now" ? "not-granted-now" : "not-granted-at-issuance";
    case "wsa-not-applicable":
      return when === "now" ? "wsa-not-applicable-now" : "wsa-not-applicable-at-issuance";
    case "not-qualified-qualifier":
      return "not-qualified-qualifier";
    case "not-a-qc-service":
      return "not-a-qc-service";
  }
}

function judgeService(
  candidate: Candidate,
  cert: X509Certificate,
  facts: CriteriaFacts,
  now: Date,
): Qualification {
  const atIssuance = stateAt(candidate.service, cert.notBefore);
  const current = stateAt(candidate.service, now);
  const base = {
    listed: true as const,
    territory: candidate.territory,
    tsp: candidate.tsp,
    service: candidate.service.current.name,
    statusAtIssuance: atIssuance?.status,
    statusNow: current?.status,
    serviceCertificate: candidate.certificate,
    serviceCertificates: candidate.service.identity.certificates,
    websiteAuthentication: undefined,
  };
  if (atIssuance === undefined || current === undefined) {
    return { ...base, qualified: false, rule: "no-state-at-issuance" };
  }
  const issued = judgeState(atIssuance, facts);
  if (!applies(issued)) return { ...base, qualified: false, rule: ruleFor(issued, "at-issuance") };
  const today = judgeState(current, facts);
  if (!applies(today)) return { ...base, qualified: false, rule: ruleFor(today, "now") };
  return {
    ...base,
    qualified: true,
    rule: "granted-wsa",
    websiteAuthentication: { atIssuance: issued, now: today },
  };
}

/**
 * Is `cert` a qualified certificate for website authentication according to the loaded lists, at its
 * issuance (notBefore) and at `now`? CA/QC services are preferred over others for the same CA (FINA lists
 * one CA both as QC and as a national PKC service); two CA/QC services that disagree mean not qualified,
 * as in DSS, because the lists do not say which one holds.
 */
export async function qualifyForWebsiteAuthentication(
  index: ServiceIndex,
  cert: X509Certificate,
  now: Date,
): Promise<Qualification> {
  const facts = certFacts(cert);
  if (!facts.ok) return { listed: false };
  return decide(await index.issuersOf(cert, facts.value), cert, facts.value, now);
}

/**
 * The same decision when the listed certificate is not the leaf's issuer but the anchor of its verified
 * chain (a list that names a root above the issuing CA; ETSI TS 119 615 §4.3.2, as DSS).
 */
export function qualifyUnderListedAnchor(
  index: ServiceIndex,
  cert: X509Certificate,
  anchor: X509Certificate,
  now: Date,
): Promise<Qualification> {
  const facts = certFacts(cert);
  if (!facts.ok) return Promise.resolve({ listed: false });
  return decide(index.servicesOf(anchor), cert, facts.value, now);
}

async function decide(
  issuers: readonly Candidate[],
  cert: X509Certificate,
  facts: CertFacts,
  now: Date,
): Promise<Qualification> {
  if (issuers.length === 0) return { listed: false };
  const qc = issuers.filter((c) => c.service.current.type === SERVICE_TYPE_CA_QC);
  const considered = qc.length > 0 ? qc : issuers;
  const crit = criteriaFacts(cert, facts.keyUsage);
  const verdicts = considered.map((c) => judgeService(c, cert, crit, now));
  const refused = verdicts.find((v) => v.listed && !v.qualified);
  if (refused === undefined) return verdicts[0] as Qualification;
  const anyQualified = verdicts.some((v) => v.listed && v.qualified);
  return anyQualified && refused.listed ? { ...refused, rule: "conflicting-services" } : refused;
}
