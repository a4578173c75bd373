import { AsnConvert } from "@peculiar/asn1-schema";
import { id_pe_qcStatements, type QCStatement, QCStatements } from "@peculiar/asn1-x509-qualified";
import {
  id_etsi_qcs_qcCClegislation,
  id_etsi_qcs_qcLimitValue,
  id_etsi_qcs_qcPDS,
  id_etsi_qcs_qcRetentionPeriod,
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
import { inStableOrder, roleForOid } from "../qwac/psd2_roles.js";
import { INTERPRETED_QC_STATEMENT_OIDS, type QcStatementsInfo } from "../qwac/qc_statements.js";
import type { Psd2Section, QcSection } from "./report.js";

/**
 * What the qcStatements extension and the subject say about the holder, read into the report's sections.
 * The verdict on them is the service's (describeQcStatements, readQwac); this only adds the statements
 * the service does not interpret (PDS, retention, limit value, legislation), so the report shows
 * everything the QTSP wrote.
 */

const STATEMENT_NAMES: ReadonlyMap<string, string> = new Map([
  ["1.3.6.1.5.5.7.11.1", "RFC 3739 semantics v1"],
  ["1.3.6.1.5.5.7.11.2", "RFC 3739 semantics v2"],
  ["0.4.0.194121.1.1", "EN 319 412-1 natural person semantics"],
  ["0.4.0.194121.1.2", "EN 319 412-1 legal person semantics"],
  ["0.4.0.194121.1.3", "EN 319 412-1 eIDAS natural person semantics"],
  ["0.4.0.194121.1.4", "EN 319 412-1 eIDAS legal person semantics"],
]);

/** Decoded for display below; with the service's own (INTERPRETED_QC_STATEMENT_OIDS), not listed as other. */
const DISPLAYED_HERE: ReadonlySet<string> = new Set([
  id_etsi_qcs_qcPDS,
  id_etsi_qcs_qcRetentionPeriod,
  id_etsi_qcs_qcLimitValue,
  id_etsi_qcs_qcCClegislation,
]);

/**
 * `statements` is the service's reading of the extension; `raw` its statements as written, for the ones
 * shown only here (empty when the certificate's extensions cannot be read at all).
 */
export function qcSection(statements: Result<QcStatementsInfo>, raw: readonly QCStatement[]): QcSection {
  const problems = statements.ok ? [] : [statements.error.detail ?? "undecodable"];
  const info = (oid: string): ArrayBuffer | undefined => {
    const value: unknown = raw.find((statement) => statement.statementId === oid)?.statementInfo;
    return value instanceof ArrayBuffer && value.byteLength > 0 ? value : undefined;
  };
  const decode = <T>(oid: string, what: string, reader: (value: ArrayBuffer) => T): T | null => {
    const value = info(oid);
    if (value === undefined) return null;
    try {
      return reader(value);
    } catch {
      problems.push(`${what} statement could not be decoded`);
      return null;
    }
  };
  const described = statements.ok ? statements.value : undefined;
  return {
    decoded: described !== undefined,
    compliance: described?.compliance ?? false,
    sscd: described?.sscd ?? false,
    types: described?.types ?? [],
    unknownTypeOids: described?.unknownTypeOids ?? [],
    pds:
      decode(id_etsi_qcs_qcPDS, "QcPDS", (value) =>
        AsnConvert.parse(value, QcEuPDS).map((location) => ({
          url: location.url,
          language: location.language,
        })),
      ) ?? [],
    retentionPeriodYears: decode(id_etsi_qcs_qcRetentionPeriod, "QcRetentionPeriod", (value) =>
      Number(AsnConvert.parse(value, QcEuRetentionPeriod).value),
    ),
    limitValue: decode(id_etsi_qcs_qcLimitValue, "QcLimitValue", limitValueText),
    legislation:
      decode(id_etsi_qcs_qcCClegislation, "QcCClegislation", (value) => [
        ...AsnConvert.parse(value, QcCClegislation),
      ]) ?? [],
    other: raw
      .map((statement) => statement.statementId)
      .filter((oid) => !INTERPRETED_QC_STATEMENT_OIDS.has(oid) && !DISPLAYED_HERE.has(oid))
      .map((oid) => ({ oid, name: STATEMENT_NAMES.get(oid) ?? null })),
    problems,
  };
}

/** value = amount * 10^exponent (EN 319 412-5 4.3.2). */
function limitValueText(value: ArrayBuffer): string {
  const limit = AsnConvert.parse(value, QcEuLimitValue);
  const currency = limit.currency.alphabetic ?? String(limit.currency.numeric);
  return `${currency} ${limit.amount * 10 ** limit.exponent}`;
}

/** describeQcStatements already said whether the extension decodes; here a failure just means "nothing more". */
export function rawQcStatements(cert: X509Certificate): readonly QCStatement[] {
  const extension = cert.extensions.find((candidate) => candidate.type === id_pe_qcStatements);
  if (extension === undefined) return [];
  try {
    return AsnConvert.parse(extension.value, QCStatements);
  } catch {
    return [];
  }
}

export function psd2Section(cert: X509Certificate, statements: Result<QcStatementsInfo>): Psd2Section {
  const orgIds = cert.subjectName.getField(ID_AT_ORGANIZATION_IDENTIFIER);
  const orgId = readOrganizationIdentifier(cert);
  const psd2 = statements.ok ? statements.value.psd2 : undefined;
  const [organizationName] = cert.subjectName.getField("O");
  const entries = psd2?.ok
    ? psd2.value.roles.map((entry) => ({ ...entry, role: roleForOid(entry.oid) ?? null }))
    : [];
  const unknown = entries.filter((entry) => entry.role === null).map((entry) => entry.oid);
  return {
    organizationName: organizationName ?? null,
    organizationIdentifier: orgIds[0] ?? null,
    roles: inStableOrder(entries.flatMap((entry) => (entry.role === null ? [] : [entry.role]))),
    unknownRoleOids: [...new Set(unknown)],
    roleEntries: entries,
    ncaName: psd2?.ok ? psd2.value.ncaName : null,
    ncaId: psd2?.ok ? psd2.value.ncaId : null,
    problems: [orgId.ok ? undefined : orgId.error.detail, statementProblem(statements, psd2)].filter(
      (problem): problem is string => problem !== undefined,
    ),
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
