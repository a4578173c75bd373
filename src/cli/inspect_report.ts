import { type Denial, type DenyReason, REASONS } from "../foundation/reasons.js";
import type { Result } from "../foundation/result.js";
import type { Qwac } from "../qwac/qwac.js";
import { ADVICE, QSEALC_NOT_QWAC_ADVICE } from "./advice.js";
import type { InputFormat } from "./certificate_input.js";
import { decisionCheck } from "./decision_check.js";
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
  type CertificatePeriod,
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
  readonly certificate: CertificateSection;
  /** notBefore and notAfter of the leaf, for the validity section and check. */
  readonly period: CertificatePeriod;
  /** The service's verdict on the leaf before trust (certificate_structure.ts); undefined when sound. */
  readonly structure: Denial | undefined;
  readonly qc: QcSection;
  readonly psd2: Psd2Section;
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
    validity: validityCheck(facts.period, facts.at),
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
    certificate: facts.certificate,
    validity: validityOf(facts.period, facts.at),
    psd2: facts.psd2,
    qcStatements: facts.qc,
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
function isQsealc(qc: QcSection): boolean {
  return qc.types.includes("eseal") && !qc.types.includes("web");
}

function checkProblem(line: CheckLine): string {
  return line.detail === null ? line.summary : `${line.summary}: ${line.detail}`;
}

/** The decision's summary is a request line; the ticket wants the explanation and what the TPP saw. */
function decisionProblem(reason: DenyReason, detail: string | null): string {
  const { status, code } = REASONS[reason];
  return `${detail ?? reasonText(reason)} (the service answers HTTP ${status} ${code})`;
}
