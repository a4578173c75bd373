import { AsnConvert } from "@peculiar/asn1-schema";
import { id_pe_qcStatements, QCStatements } from "@peculiar/asn1-x509-qualified";
import {
  id_etsi_qcs_qcCClegislation,
  id_etsi_qcs_qcCompliance,
  id_etsi_qcs_qcLimitValue,
  id_etsi_qcs_qcPDS,
  id_etsi_qcs_qcRetentionPeriod,
  id_etsi_qcs_qcSSCD,
  id_etsi_qcs_qcType,
  QcCClegislation,
  QcEuLimitValue,
  QcEuPDS,
  QcEuRetentionPeriod,
} from "@peculiar/asn1-x509-qualified-etsi";
import type { X509Certificate } from "@peculiar/x509";
import type { Result } from "../foundation/result.js";
import {
  ID_AT_ORGANIZATION_IDENTIFIER,
  readOrganizationIdentifier,
} from "../qwac/organization_identifier.js";
import { type Psd2Role, roleForOid } from "../qwac/psd2_roles.js";
import { ID_ETSI_PSD2_QC_STATEMENT } from "../qwac/psd2_statement_asn1.js";
import { describeQcStatements, type QcStatementsInfo } from "../qwac/qwac.js";

/**
 * What the qcStatements extension and the subject say about the holder, for display. The verdict on
 * them is readQwac's (the service's own reader); this only adds the statements it does not interpret
 * (PDS, retention, limit value, legislation) so the report shows everything the QTSP wrote.
 */
export interface QcFacts {
  readonly statements: Result<QcStatementsInfo>;
  readonly pds: readonly { readonly url: string; readonly language: string }[];
  readonly retentionYears: number | undefined;
  /** e.g. "EUR 100000" */
  readonly limitValue: string | undefined;
  readonly legislation: readonly string[];
  /** Statements neither the service nor this report interprets. */
  readonly other: readonly { readonly oid: string; readonly name: string | undefined }[];
  readonly notes: readonly string[];
}

export interface Psd2Facts {
  readonly organizationName: string | undefined;
  /** The subject's organizationIdentifier as written, whether or not it is in PSD2 form. */
  readonly organizationIdentifier: string | undefined;
  readonly organizationIdentifierProblem: string | undefined;
  /** In certificate order; `role` is undefined for an OID this service does not know. */
  readonly roles: readonly {
    readonly oid: string;
    readonly name: string;
    readonly role: Psd2Role | undefined;
  }[];
  readonly ncaName: string | undefined;
  readonly ncaId: string | undefined;
  /** Why there is no usable PSD2 statement, when there is none. */
  readonly statementProblem: string | undefined;
}

const STATEMENT_NAMES: ReadonlyMap<string, string> = new Map([
  ["1.3.6.1.5.5.7.11.1", "RFC 3739 semantics v1"],
  ["1.3.6.1.5.5.7.11.2", "RFC 3739 semantics v2"],
  ["0.4.0.194121.1.1", "EN 319 412-1 natural person semantics"],
  ["0.4.0.194121.1.2", "EN 319 412-1 legal person semantics"],
  ["0.4.0.194121.1.3", "EN 319 412-1 eIDAS natural person semantics"],
  ["0.4.0.194121.1.4", "EN 319 412-1 eIDAS legal person semantics"],
]);

/** Interpreted by describeQcStatements or below; every other statement is listed under `other`. */
const SHOWN: ReadonlySet<string> = new Set([
  id_etsi_qcs_qcCompliance,
  id_etsi_qcs_qcSSCD,
  id_etsi_qcs_qcType,
  ID_ETSI_PSD2_QC_STATEMENT,
  id_etsi_qcs_qcPDS,
  id_etsi_qcs_qcRetentionPeriod,
  id_etsi_qcs_qcLimitValue,
  id_etsi_qcs_qcCClegislation,
]);

export function qcFacts(cert: X509Certificate): QcFacts {
  const statements = describeQcStatements(cert);
  const notes: string[] = [];
  const raw = rawStatements(cert);
  const info = (oid: string): ArrayBuffer | undefined => {
    const value: unknown = raw.find((statement) => statement.statementId === oid)?.statementInfo;
    return value instanceof ArrayBuffer && value.byteLength > 0 ? value : undefined;
  };
  const decode = <T>(oid: string, what: string, reader: (value: ArrayBuffer) => T): T | undefined => {
    const value = info(oid);
    if (value === undefined) return undefined;
    try {
      return reader(value);
    } catch {
      notes.push(`${what} statement could not be decoded`);
      return undefined;
    }
  };
  return {
    statements,
    pds:
      decode(id_etsi_qcs_qcPDS, "QcPDS", (value) =>
        AsnConvert.parse(value, QcEuPDS).map((location) => ({
          url: location.url,
          language: location.language,
        })),
      ) ?? [],
    retentionYears: decode(id_etsi_qcs_qcRetentionPeriod, "QcRetentionPeriod", (value) =>
      Number(AsnConvert.parse(value, QcEuRetentionPeriod).value),
    ),
    limitValue: decode(id_etsi_qcs_qcLimitValue, "QcLimitValue", limitValueText),
    legislation:
      decode(id_etsi_qcs_qcCClegislation, "QcCClegislation", (value) => [
        ...AsnConvert.parse(value, QcCClegislation),
      ]) ?? [],
    other: raw
      .map((statement) => statement.statementId)
      .filter((oid) => !SHOWN.has(oid))
      .map((oid) => ({ oid, name: STATEMENT_NAMES.get(oid) })),
    notes,
  };
}

/** value = amount * 10^exponent (EN 319 412-5 4.3.2). */
function limitValueText(value: ArrayBuffer): string {
  const limit = AsnConvert.parse(value, QcEuLimitValue);
  const currency = limit.currency.alphabetic ?? String(limit.currency.numeric);
  return `${currency} ${limit.amount * 10 ** limit.exponent}`;
}

/** describeQcStatements already said whether the extension decodes; here a failure just means "nothing more". */
function rawStatements(cert: X509Certificate): QCStatements {
  const extension = cert.extensions.find((candidate) => candidate.type === id_pe_qcStatements);
  if (extension === undefined) return new QCStatements();
  try {
    return AsnConvert.parse(extension.value, QCStatements);
  } catch {
    return new QCStatements();
  }
}

export function psd2Facts(cert: X509Certificate, statements: Result<QcStatementsInfo>): Psd2Facts {
  const orgIds = cert.subjectName.getField(ID_AT_ORGANIZATION_IDENTIFIER);
  const orgId = readOrganizationIdentifier(cert);
  const psd2 = statements.ok ? statements.value.psd2 : undefined;
  const [organizationName] = cert.subjectName.getField("O");
  return {
    organizationName,
    organizationIdentifier: orgIds[0],
    organizationIdentifierProblem: orgId.ok ? undefined : orgId.error.detail,
    roles: psd2?.ok ? psd2.value.roles.map((entry) => ({ ...entry, role: roleForOid(entry.oid) })) : [],
    ncaName: psd2?.ok ? psd2.value.ncaName : undefined,
    ncaId: psd2?.ok ? psd2.value.ncaId : undefined,
    statementProblem: statementProblem(statements, psd2),
  };
}

function statementProblem(
  statements: Result<QcStatementsInfo>,
  psd2: QcStatementsInfo["psd2"],
): string | undefined {
  if (!statements.ok) return statements.error.detail;
  if (psd2 === undefined) return "no PSD2 statement (0.4.0.19495.2)";
  return psd2.ok ? undefined : psd2.error.detail;
}
