/**
 * Decodes the qcStatements extension (RFC 3739, ETSI EN 319 412-5) into a plain struct. Decoding only:
 * whether the statements make a QWAC is decided in qwac.ts. Real certificates differ from generated
 * ones (statement order, role order, PrintableString for UTF8String), so nothing here depends on order,
 * and every parse failure becomes a Denial instead of an exception.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { id_pe_qcStatements, type QCStatement, QCStatements } from "@peculiar/asn1-x509-qualified";
import {
  id_etsi_qcs_qcCompliance,
  id_etsi_qcs_qcSSCD,
  id_etsi_qcs_qcType,
  id_etsi_qct_eseal,
  id_etsi_qct_esign,
  id_etsi_qct_web,
  QcType as QcTypeAsn,
} from "@peculiar/asn1-x509-qualified-etsi";
import type { X509Certificate } from "@peculiar/x509";
import { deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";
import { ID_ETSI_PSD2_QC_STATEMENT, Psd2QcType } from "./psd2_statement_asn1.js";

export type QcType = "esign" | "eseal" | "web";

export const QC_TYPE_OIDS: Readonly<Record<QcType, string>> = {
  esign: id_etsi_qct_esign,
  eseal: id_etsi_qct_eseal,
  web: id_etsi_qct_web,
};

/** One RoleOfPSP exactly as the certificate states it; OID and name are checked against each other later. */
export interface Psd2RoleEntry {
  readonly oid: string;
  readonly name: string;
}

export interface Psd2Statement {
  /** In certificate order, which is not necessarily OID order. */
  readonly roles: readonly Psd2RoleEntry[];
  readonly ncaName: string;
  readonly ncaId: string;
}

export interface QcStatementsInfo {
  /** QcCompliance: the certificate claims to be an EU qualified certificate. */
  readonly compliance: boolean;
  /** QcSSCD: the private key lives in a qualified signature/seal creation device. */
  readonly sscd: boolean;
  /** Known QcType values, in certificate order. Empty when there is no QcType statement. */
  readonly types: readonly QcType[];
  readonly unknownTypeOids: readonly string[];
  /**
   * The PSD2 statement: undefined when absent; a failed Result (CERT_PSD2_STATEMENT_INVALID) when present
   * but unusable, so the other statements can still be described.
   */
  readonly psd2: Result<Psd2Statement> | undefined;
  /** Statement OIDs not interpreted here (QcPDS, QcRetentionPeriod, RFC 3739 semantics, ...). */
  readonly otherStatementOids: readonly string[];
}

/** Decodes the certificate's qcStatements extension; CERT_NOT_QWAC when it is absent or undecodable. */
export function describeQcStatements(cert: X509Certificate): Result<QcStatementsInfo> {
  const extensions = cert.extensions.filter((extension) => extension.type === id_pe_qcStatements);
  const [extension] = extensions;
  if (extension === undefined) {
    return fail(deny("CERT_NOT_QWAC", "no qcStatements extension"));
  }
  // RFC 5280 4.2: an extension appears at most once. Two copies could say different things to
  // different readers, so neither is believed.
  if (extensions.length > 1) {
    return fail(deny("CERT_NOT_QWAC", "qcStatements extension appears more than once"));
  }
  return decodeQcStatements(extension.value);
}

/** Decodes the DER value of a qcStatements extension (the contents of extnValue). */
export function decodeQcStatements(extnValue: ArrayBuffer | ArrayBufferView): Result<QcStatementsInfo> {
  try {
    return decodeStatements(extnValue);
  } catch (error) {
    // Every known parse failure is handled below; this net keeps an unforeseen one in the ASN.1 library
    // from escaping a request as an exception. The certificate is refused either way.
    return fail(deny("CERT_NOT_QWAC", `qcStatements extension could not be decoded: ${String(error)}`));
  }
}

function decodeStatements(extnValue: ArrayBuffer | ArrayBufferView): Result<QcStatementsInfo> {
  const statements = parseOrUndefined(extnValue, QCStatements);
  if (statements === undefined) {
    return fail(deny("CERT_NOT_QWAC", "qcStatements extension is not a SEQUENCE OF QCStatement"));
  }
  const types = decodeQcTypes(statements.filter((s) => s.statementId === id_etsi_qcs_qcType));
  if (!types.ok) {
    return types;
  }
  return ok({
    compliance: statements.some((s) => s.statementId === id_etsi_qcs_qcCompliance),
    sscd: statements.some((s) => s.statementId === id_etsi_qcs_qcSSCD),
    types: types.value.known,
    unknownTypeOids: types.value.unknown,
    psd2: decodePsd2(statements.filter((s) => s.statementId === ID_ETSI_PSD2_QC_STATEMENT)),
    otherStatementOids: statements
      .map((s) => s.statementId)
      .filter((oid) => !INTERPRETED_QC_STATEMENT_OIDS.has(oid)),
  });
}

/** The statements this reader interprets; every other one is listed in `otherStatementOids`. */
export const INTERPRETED_QC_STATEMENT_OIDS: ReadonlySet<string> = new Set([
  id_etsi_qcs_qcCompliance,
  id_etsi_qcs_qcSSCD,
  id_etsi_qcs_qcType,
  ID_ETSI_PSD2_QC_STATEMENT,
]);

interface DecodedTypes {
  readonly known: QcType[];
  readonly unknown: string[];
}

/**
 * A QcType statement that cannot be read means nobody can tell whether this is a website certificate,
 * so it fails the whole description (CERT_NOT_QWAC), unlike an unreadable PSD2 statement.
 */
function decodeQcTypes(statements: readonly QCStatement[]): Result<DecodedTypes> {
  const [statement] = statements;
  if (statement === undefined) {
    return ok({ known: [], unknown: [] });
  }
  if (statements.length > 1) {
    return fail(deny("CERT_NOT_QWAC", "QcType statement appears more than once"));
  }
  const info = statementInfo(statement);
  const oids = info === undefined ? undefined : parseOrUndefined(info, QcTypeAsn);
  if (oids === undefined) {
    return fail(deny("CERT_NOT_QWAC", "QcType statement is not a SEQUENCE OF OBJECT IDENTIFIER"));
  }
  const known: QcType[] = [];
  const unknown: string[] = [];
  for (const oid of oids) {
    const type = qcTypeForOid(oid);
    if (type === undefined) {
      unknown.push(oid);
    } else if (!known.includes(type)) {
      known.push(type);
    }
  }
  return ok({ known, unknown });
}

const QC_TYPE_BY_OID: ReadonlyMap<string, QcType> = new Map([
  [id_etsi_qct_esign, "esign"],
  [id_etsi_qct_eseal, "eseal"],
  [id_etsi_qct_web, "web"],
]);

function qcTypeForOid(oid: string): QcType | undefined {
  return QC_TYPE_BY_OID.get(oid);
}

function decodePsd2(statements: readonly QCStatement[]): Result<Psd2Statement> | undefined {
  const [statement] = statements;
  if (statement === undefined) {
    return undefined;
  }
  // Two PSD2 statements could grant different roles; picking one would be a guess.
  if (statements.length > 1) {
    return fail(deny("CERT_PSD2_STATEMENT_INVALID", "PSD2 statement appears more than once"));
  }
  const info = statementInfo(statement);
  const parsed = info === undefined ? undefined : parseOrUndefined(info, Psd2QcType);
  if (parsed === undefined) {
    return fail(deny("CERT_PSD2_STATEMENT_INVALID", "PSD2 statement is not a PSD2QcType (TS 119 495 5.1)"));
  }
  const statementValue: Psd2Statement = {
    roles: parsed.rolesOfPSP.map((role) => ({ oid: role.roleOfPspOid, name: role.roleOfPspName.toString() })),
    ncaName: parsed.nCAName.toString(),
    ncaId: parsed.nCAId.toString(),
  };
  // TS 119 495 sizes every string (SIZE (1..256)); an empty one is as good as absent.
  if (statementValue.ncaName === "" || statementValue.ncaId === "") {
    return fail(deny("CERT_PSD2_STATEMENT_INVALID", "PSD2 statement has an empty nCAName or nCAId"));
  }
  return ok(statementValue);
}

/**
 * RFC 3739 makes statementInfo OPTIONAL. Despite its declared type, asn1-schema leaves an absent one as an
 * empty buffer and decodes an ASN.1 NULL as `null`; neither is information.
 */
function statementInfo(statement: QCStatement): ArrayBuffer | undefined {
  const info: unknown = statement.statementInfo;
  return info instanceof ArrayBuffer && info.byteLength > 0 ? info : undefined;
}

/** asn1-schema throws on malformed input; here that is data (a bad certificate), not a bug. */
function parseOrUndefined<T>(data: ArrayBuffer | ArrayBufferView, schema: new () => T): T | undefined {
  try {
    return AsnConvert.parse(data, schema);
  } catch {
    return undefined;
  }
}
