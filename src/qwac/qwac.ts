/**
 * Reads what a client certificate says about its holder as a PSD2 TPP: the eIDAS qualified-certificate
 * statements (ETSI EN 319 412-5), the PSD2 statement (ETSI TS 119 495) and the organizationIdentifier.
 * It does not decide whether the certificate is trusted, valid now, or unrevoked: later phases do.
 */
import type { X509Certificate } from "@peculiar/x509";
import { deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";
import {
  checkAgainstNcaId,
  type Psd2OrganizationIdentifier,
  readOrganizationIdentifier,
} from "./organization_identifier.js";
import { inStableOrder, PSD2_ROLE_OIDS, type Psd2Role, roleForOid } from "./psd2_roles.js";
import {
  describeQcStatements,
  type Psd2Statement,
  type QcStatementsInfo,
  type QcType,
} from "./qc_statements.js";

export { PSD2_ROLES, type Psd2Role } from "./psd2_roles.js";
export {
  describeQcStatements,
  type Psd2RoleEntry,
  type Psd2Statement,
  type QcStatementsInfo,
  type QcType,
} from "./qc_statements.js";

/** What a QWAC says about its holder, after every check of EN 319 412-5 / TS 119 495 has passed. */
export interface Qwac {
  readonly subjectDn: string;
  readonly organizationName: string | undefined;
  /** e.g. PSDFR-ACPR-12345 */
  readonly organizationIdentifier: string;
  /** Known roles, in a stable order (PSP_AS, PSP_PI, PSP_AI, PSP_IC), deduplicated. */
  readonly roles: readonly Psd2Role[];
  /** Role OIDs the service does not know: reported in logs, never granted. */
  readonly unknownRoleOids: readonly string[];
  readonly ncaName: string;
  /** e.g. FR-ACPR */
  readonly ncaId: string;
  readonly qcTypes: readonly QcType[];
  /** Serial number, lower-case hex without leading zeros stripped beyond DER. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface QwacOptions {
  /** Accept a QSealC (QcType eseal) as well as a QWAC. Off by default: PSD2 Art. 34 RTS asks for a QWAC. */
  readonly acceptEseal: boolean;
}

/** Never throws for any parsed certificate: every defect is a Denial. */
export function readQwac(cert: X509Certificate, options: QwacOptions): Result<Qwac> {
  const statements = describeQcStatements(cert);
  if (!statements.ok) {
    return statements;
  }
  const qualified = checkQualified(statements.value, options);
  if (!qualified.ok) {
    return qualified;
  }
  const psd2 = checkPsd2Statement(statements.value.psd2);
  if (!psd2.ok) {
    return psd2;
  }
  const roles = grantedRoles(psd2.value);
  if (!roles.ok) {
    return roles;
  }
  const orgId = readOrganizationIdentifier(cert);
  const consistentOrgId = orgId.ok ? checkAgainstNcaId(orgId.value, psd2.value.ncaId) : orgId;
  if (!consistentOrgId.ok) {
    return consistentOrgId;
  }
  return ok(toQwac(cert, statements.value, psd2.value, roles.value, consistentOrgId.value));
}

/** EN 319 412-5: QcCompliance makes it qualified, QcType web makes it a website certificate (a QWAC). */
function checkQualified(statements: QcStatementsInfo, options: QwacOptions): Result<true> {
  if (!statements.compliance) {
    return fail(deny("CERT_NOT_QWAC", "no QcCompliance statement"));
  }
  if (statements.types.includes("web")) {
    return ok(true);
  }
  if (options.acceptEseal && statements.types.includes("eseal")) {
    return ok(true);
  }
  if (statements.types.length === 0) {
    return fail(deny("CERT_NOT_QWAC", "no QcType statement (or no known QcType in it)"));
  }
  const wanted = options.acceptEseal ? "web or eseal" : "web";
  return fail(deny("CERT_NOT_QWAC", `QcType is ${statements.types.join(", ")}, not ${wanted}`));
}

function checkPsd2Statement(psd2: Result<Psd2Statement> | undefined): Result<Psd2Statement> {
  if (psd2 === undefined) {
    return fail(deny("CERT_PSD2_STATEMENT_INVALID", "no PSD2 statement (0.4.0.19495.2)"));
  }
  if (psd2.ok && psd2.value.roles.length === 0) {
    return fail(deny("CERT_PSD2_STATEMENT_INVALID", "PSD2 statement lists no roles"));
  }
  return psd2;
}

interface GrantedRoles {
  readonly roles: readonly Psd2Role[];
  readonly unknownRoleOids: readonly string[];
}

/**
 * Roles are granted by OID. A known OID carrying another role's name means the QTSP encoded the
 * statement wrongly, and which of the two it meant cannot be known, so the certificate is refused.
 * An unknown OID (a role from a newer TS 119 495) is reported but never granted.
 */
function grantedRoles(psd2: Psd2Statement): Result<GrantedRoles> {
  const roles: Psd2Role[] = [];
  const unknownRoleOids: string[] = [];
  for (const entry of psd2.roles) {
    const role = roleForOid(entry.oid);
    if (role === undefined) {
      if (!unknownRoleOids.includes(entry.oid)) {
        unknownRoleOids.push(entry.oid);
      }
    } else if (entry.name !== role) {
      const detail = `role OID ${PSD2_ROLE_OIDS[role]} is ${role} but is named ${JSON.stringify(entry.name)}`;
      return fail(deny("CERT_ROLE_MISMATCH", detail));
    } else {
      roles.push(role);
    }
  }
  return ok({ roles: inStableOrder(roles), unknownRoleOids });
}

function toQwac(
  cert: X509Certificate,
  statements: QcStatementsInfo,
  psd2: Psd2Statement,
  granted: GrantedRoles,
  orgId: Psd2OrganizationIdentifier,
): Qwac {
  const [organizationName] = cert.subjectName.getField("O");
  return {
    subjectDn: cert.subject,
    organizationName,
    organizationIdentifier: orgId.value,
    roles: granted.roles,
    unknownRoleOids: granted.unknownRoleOids,
    ncaName: psd2.ncaName,
    ncaId: psd2.ncaId,
    qcTypes: statements.types,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}
