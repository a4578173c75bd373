import type { X509Certificate } from "@peculiar/x509";

/** ETSI TS 119 612 §5.5.4 service status URIs end with these names; only "granted" admits anyone. */
export const STATUS_GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted";
export const SERVICE_TYPE_CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";

/** §5.5.9.4 AdditionalServiceInformation URIs (the purposes a CA/QC service issues for). */
export const ASI_WEBSITE_AUTHENTICATION =
  "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForWebSiteAuthentication";
export const ASI_ESEALS = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSeals";
export const ASI_ESIGNATURES = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSignatures";

/** §5.5.9.2 Qualifications extension qualifier URIs. */
const QUALIFIER_BASE = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/";
export const QUALIFIER_QC_FOR_WSA = `${QUALIFIER_BASE}QCForWSA`;
export const QUALIFIER_NOT_QUALIFIED = `${QUALIFIER_BASE}NotQualified`;

/** §5.5.9.2.1.1 CriteriaList: which certificates a qualifier applies to. */
export interface CriteriaList {
  readonly assert: "all" | "atLeastOne" | "none";
  /** KeyUsageBit name -> required value, one entry per KeyUsage element (all bits of one element must hold). */
  readonly keyUsage: readonly ReadonlyMap<string, boolean>[];
  /** Each PolicySet: the certificate must carry every policy OID of the set. */
  readonly policySets: readonly (readonly string[])[];
  readonly nested: readonly CriteriaList[];
  /** otherCriteriaList or an unknown criterion: not evaluated, so a decision using it fails closed. */
  readonly unsupported: boolean;
}

export interface Qualification {
  readonly qualifiers: readonly string[];
  readonly criteria: CriteriaList;
}

/** §5.5.3 ServiceDigitalIdentity. */
export interface DigitalIdentity {
  readonly certificates: readonly X509Certificate[];
  readonly subjectNames: readonly string[];
  /** X509SKI as hex. */
  readonly skis: readonly string[];
}

/** One state of a service: the current ServiceInformation or one ServiceHistoryInstance (§5.5, §5.6). */
export interface ServiceState {
  readonly type: string;
  readonly name: string;
  readonly status: string;
  readonly statusStartingTime: Date;
  readonly additionalServiceInformation: readonly string[];
  readonly qualifications: readonly Qualification[];
}

export interface TrustService {
  readonly current: ServiceState;
  readonly identity: DigitalIdentity;
  /** ServiceHistoryInstance entries as listed (newest first in practice, but never relied upon). */
  readonly history: readonly ServiceState[];
}

export interface TrustServiceProvider {
  readonly name: string;
  readonly services: readonly TrustService[];
}

/** §5.3.13 OtherTSLPointer (in a LOTL: where a Member State list is, and who may sign it). */
export interface TslPointer {
  readonly location: string;
  readonly territory: string | undefined;
  readonly mimeType: string | undefined;
  readonly tslType: string | undefined;
  readonly certificates: readonly X509Certificate[];
}

export interface TrustedList {
  readonly source: string;
  readonly version: 5 | 6;
  readonly sequenceNumber: number;
  readonly type: string;
  readonly territory: string;
  readonly schemeOperator: string;
  readonly issued: Date;
  readonly nextUpdate: Date | undefined;
  readonly schemeInformationUris: readonly string[];
  readonly pointers: readonly TslPointer[];
  readonly providers: readonly TrustServiceProvider[];
  /** The certificate whose signature over this list was verified. */
  readonly signer: X509Certificate;
}
