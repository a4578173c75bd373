import { type Denial, type DenyReason, REASONS } from "../foundation/reasons.js";
import type { Result } from "../foundation/result.js";
import { inStableOrder } from "../qwac/psd2_roles.js";
import type { Qwac } from "../qwac/qwac.js";
import { ADVICE, QSEALC_NOT_QWAC_ADVICE } from "./advice.js";
import type { CertificateFacts } from "./certificate_facts.js";
import type { InputFormat } from "./certificate_input.js";
import { decisionCheck } from "./decision_check.js";
import type { Psd2Facts, QcFacts } from "./qc_facts.js";
import { qualificationSection } from "./qualification_report.js";
import {
  type CertificateSection,
  type CheckLine,
  type Checks,
  INSPECT_FORMAT,
  type InspectReport,
  type Problem,
  type Psd2Section,
  type QcSection,
} from "./report.js";
import {
  chainCheck,
  qwacCheck,
  reasonText,
  revocationCheck,
  structureCheck,
  validityCheck,
  validityOf,
} from "./report_checks.js";
import type { ServiceFacts } from "./service_checks.js";

/**
 * Facts in, report out, no I/O: the one place that decides what `qwac inspect` concludes. The verdict is
 * bad when any check fails; each failing reason becomes one problem with who must act and how.
 */
export interface InspectFacts {
  readonly at: Date;
  readonly inputFormat: InputFormat;
  readonly offeredCertificates: number;
  readonly certificate: CertificateFacts;
  /** The service's verdict on the leaf before trust (certificate_structure.ts); undefined when sound. */
  readonly structure: Denial | undefined;
  readonly qc: QcFacts;
  readonly psd2: Psd2Facts;
  /** readQwac's verdict, with the acceptEseal setting of the config (off without one). */
  readonly qwac: Result<Qwac>;
  readonly acceptEseal: boolean;
  readonly service: ServiceFacts | undefined;
}

export function buildInspectReport(facts: InspectFacts): InspectReport {
  const service = facts.service;
  const checks: Checks = {
    structure: structureCheck(facts.structure),
    qwac: qwacCheck(facts.qwac, facts.acceptEseal),
    validity: validityCheck(facts.certificate, facts.at),
    chain: service === undefined ? null : chainCheck(service),
    revocation: service === undefined ? null : revocationCheck(service.revocation),
    decision: service?.decision === undefined ? null : decisionCheck(service.decision),
  };
  return {
    format: INSPECT_FORMAT,
    at: facts.at.toISOString(),
    verdict: checkLines(checks).some(([, line]) => line.status === "fail") ? "bad" : "good",
    input: { format: facts.inputFormat, offeredCertificates: facts.offeredCertificates },
    config: service?.configFile ?? null,
    certificate: certificateSection(facts.certificate),
    validity: validityOf(facts.certificate, facts.at),
    psd2: psd2Section(facts.psd2),
    qcStatements: qcSection(facts.qc),
    checks,
    qualification: service?.lists === undefined ? null : qualificationSection(service.lists),
    problems: problems(checks, isQsealc(facts.qc)),
  };
}

function checkLines(checks: Checks): [keyof Checks, CheckLine][] {
  return (Object.entries(checks) as [keyof Checks, CheckLine | null][]).filter(
    (entry): entry is [keyof Checks, CheckLine] => entry[1] !== null,
  );
}

function certificateSection(cert: CertificateFacts): CertificateSection {
  const key = cert.publicKey;
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    sha256: cert.sha256,
    publicKey:
      key === undefined
        ? null
        : { algorithm: key.algorithm, bits: key.bits ?? null, curve: key.curve ?? null },
    subjectAltNames: cert.subjectAltNames,
    policies: cert.policies.map((policy) => ({ oid: policy.oid, name: policy.name ?? null })),
    ocspUrls: cert.ocspUrls,
    caIssuersUrls: cert.caIssuersUrls,
    crlUrls: cert.crlUrls,
    notes: cert.notes,
  };
}

function psd2Section(psd2: Psd2Facts): Psd2Section {
  const unknown = psd2.roles.filter((entry) => entry.role === undefined).map((entry) => entry.oid);
  return {
    organizationName: psd2.organizationName ?? null,
    organizationIdentifier: psd2.organizationIdentifier ?? null,
    roles: inStableOrder(psd2.roles.flatMap((entry) => (entry.role === undefined ? [] : [entry.role]))),
    unknownRoleOids: [...new Set(unknown)],
    roleEntries: psd2.roles.map((entry) => ({ oid: entry.oid, name: entry.name, role: entry.role ?? null })),
    ncaName: psd2.ncaName ?? null,
    ncaId: psd2.ncaId ?? null,
    problems: [psd2.organizationIdentifierProblem, psd2.statementProblem].filter(
      (problem): problem is string => problem !== undefined,
    ),
  };
}

function qcSection(qc: QcFacts): QcSection {
  const info = qc.statements.ok ? qc.statements.value : undefined;
  const undecodable = qc.statements.ok ? [] : [qc.statements.error.detail ?? "undecodable"];
  return {
    decoded: info !== undefined,
    compliance: info?.compliance ?? false,
    sscd: info?.sscd ?? false,
    types: info?.types ?? [],
    unknownTypeOids: info?.unknownTypeOids ?? [],
    pds: qc.pds,
    retentionPeriodYears: qc.retentionYears ?? null,
    limitValue: qc.limitValue ?? null,
    legislation: qc.legislation,
    other: qc.other.map((statement) => ({ oid: statement.oid, name: statement.name ?? null })),
    problems: [...undecodable, ...qc.notes],
  };
}

/** One problem per reason, first check first: an expired leaf is one problem, not three. */
function problems(checks: Checks, qsealc: boolean): Problem[] {
  const found: Problem[] = [];
  for (const [check, line] of checkLines(checks)) {
    const problem = problemOf(check, line, qsealc);
    if (problem !== undefined && !found.some((known) => known.reason === problem.reason)) found.push(problem);
  }
  return found;
}

function problemOf(check: keyof Checks, line: CheckLine, qsealc: boolean): Problem | undefined {
  if (line.reason === null || line.status === "pass" || line.status === "skipped") return undefined;
  const text = check === "decision" ? decisionProblem(line.reason, line.detail) : checkProblem(line);
  const message = line.status === "warn" ? `not enforced yet: ${text}` : text;
  const advice = line.reason === "CERT_NOT_QWAC" && qsealc ? QSEALC_NOT_QWAC_ADVICE : ADVICE[line.reason];
  return { check, reason: line.reason, message, ...advice };
}

/** A QSealC: its QC statements decode and name QcType eseal and not web. */
function isQsealc(qc: QcFacts): boolean {
  const types = qc.statements.ok ? qc.statements.value.types : [];
  return types.includes("eseal") && !types.includes("web");
}

function checkProblem(line: CheckLine): string {
  return line.detail === null ? line.summary : `${line.summary}: ${line.detail}`;
}

/** The decision's summary is a request line; the ticket wants the explanation and what the TPP saw. */
function decisionProblem(reason: DenyReason, detail: string | null): string {
  const { status, code } = REASONS[reason];
  return `${detail ?? reasonText(reason)} (the service answers HTTP ${status} ${code})`;
}
