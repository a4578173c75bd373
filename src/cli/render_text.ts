import type { Actor } from "./advice.js";
import { statusName } from "./qualification_report.js";
import type { CheckLine, CheckStatus, InspectReport } from "./report.js";

/**
 * The human report: written to be pasted into a ticket to the TPP, so it leads with the verdict, lists
 * what is wrong and who must do what, and keeps the certificate facts below for reference.
 */
export function renderInspectText(report: InspectReport): string {
  return [
    verdictBlock(report),
    certificateBlock(report),
    psd2Block(report),
    qcBlock(report),
    qualificationBlock(report),
    checksBlock(report),
  ]
    .filter((block) => block.length > 0)
    .map((block) => block.map(visible).join("\n"))
    .join("\n\n")
    .concat("\n");
}

/**
 * Certificate text is chosen by whoever requested the certificate. A control character, line break or
 * bidi override in it could rewrite the operator's terminal or forge a line of this report ("GOOD: ..."),
 * so each line is printed with those escaped; the report's own line breaks are between lines.
 */
const UNSAFE = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

export function visible(line: string): string {
  return line.replace(UNSAFE, (char) => `\\u{${char.codePointAt(0)?.toString(16) ?? ""}}`);
}

const MARK: Readonly<Record<CheckStatus, string>> = {
  pass: "ok  ",
  fail: "FAIL",
  warn: "warn",
  skipped: "--  ",
};

const ACTOR: Readonly<Record<Actor, string>> = {
  tpp: "TPP",
  operator: "gateway operator",
  "tpp-or-operator": "TPP or gateway operator",
};

function verdictBlock(report: InspectReport): string[] {
  const subject = report.psd2.organizationName ?? report.certificate.subject;
  const head = `${report.verdict === "good" ? "GOOD" : "BAD"}: ${subject} (${report.psd2.organizationIdentifier ?? "no organizationIdentifier"})`;
  const lines = [head, `Checked at ${report.at}${report.config === null ? "" : ` against ${report.config}`}`];
  if (report.problems.length === 0) return lines;
  lines.push("", "What is wrong and what to do:");
  report.problems.forEach((problem, index) => {
    lines.push(`  ${index + 1}. [${problem.reason}] ${problem.message}`);
    lines.push(`     ${ACTOR[problem.actor]}: ${problem.action}`);
  });
  return lines;
}

function certificateBlock(report: InspectReport): string[] {
  const cert = report.certificate;
  const validity = report.validity;
  const key = cert.publicKey;
  return [
    "Certificate",
    field("Subject", cert.subject),
    field("Issuer", cert.issuer),
    field("Serial", cert.serialNumber),
    field("SHA-256", cert.sha256),
    field("Valid", `${validity.notBefore} to ${validity.notAfter} (${validityNote(validity)})`),
    field("Key", key === null ? "unreadable" : keyText(key)),
    ...list("Alt names", cert.subjectAltNames),
    ...list(
      "Policies",
      cert.policies.map((policy) => (policy.name === null ? policy.oid : `${policy.oid} ${policy.name}`)),
    ),
    ...list("OCSP", cert.ocspUrls, "none"),
    ...list("CA issuers", cert.caIssuersUrls, "none"),
    ...list("CRL", cert.crlUrls, "none"),
    ...list("Note", cert.notes),
    ...(report.input.offeredCertificates > 0
      ? [field("Bundle", `${report.input.offeredCertificates} more certificate(s) offered as chain`)]
      : []),
  ];
}

function validityNote(validity: InspectReport["validity"]): string {
  if (validity.state === "expired") return "EXPIRED";
  if (validity.state === "not-yet-valid") return "NOT YET VALID";
  return `${validity.daysLeft} day${validity.daysLeft === 1 ? "" : "s"} left`;
}

function keyText(key: NonNullable<InspectReport["certificate"]["publicKey"]>): string {
  if (key.curve !== null) return `${key.algorithm} ${key.curve}`;
  return key.bits === null ? key.algorithm : `${key.algorithm} ${key.bits} bits`;
}

function psd2Block(report: InspectReport): string[] {
  const psd2 = report.psd2;
  const nca = psd2.ncaName === null ? "none" : `${psd2.ncaName} (${psd2.ncaId})`;
  const roles = psd2.roleEntries.map((entry) =>
    entry.role === null ? `${entry.oid} "${entry.name}" (unknown role, never granted)` : entry.role,
  );
  return [
    "PSD2 (ETSI TS 119 495)",
    field("Organisation", psd2.organizationName ?? "none"),
    field("Org. ID", psd2.organizationIdentifier ?? "none"),
    field("Roles", roles.length === 0 ? "none" : roles.join(", ")),
    field("NCA", nca),
    ...list("Problem", psd2.problems),
  ];
}

function qcBlock(report: InspectReport): string[] {
  const qc = report.qcStatements;
  const types = qc.types.length === 0 ? "none" : qc.types.map(qcTypeName).join(", ");
  return [
    "QC statements (ETSI EN 319 412-5)",
    field("QcCompliance", qc.compliance ? "yes (EU qualified certificate)" : "no"),
    field("QcType", [types, ...qc.unknownTypeOids].join(", ")),
    field("QcSSCD", qc.sscd ? "yes (key in a qualified device)" : "no"),
    ...list(
      "QcPDS",
      qc.pds.map((pds) => `${pds.url} (${pds.language})`),
    ),
    ...(qc.retentionPeriodYears === null ? [] : [field("Retention", `${qc.retentionPeriodYears} years`)]),
    ...(qc.limitValue === null ? [] : [field("Limit value", qc.limitValue)]),
    ...list("Legislation", qc.legislation),
    ...list(
      "Other",
      qc.other.map((other) => (other.name === null ? other.oid : `${other.oid} ${other.name}`)),
    ),
    ...list("Problem", qc.problems),
  ];
}

function qualificationBlock(report: InspectReport): string[] {
  const q = report.qualification;
  if (q === null) return [];
  const usable = q.lists.filter((list) => list.usable && list.territory !== "EU").length;
  const lotl = q.lists.find((list) => list.territory === "EU");
  const lines = [
    "Qualification (EU trusted lists, ETSI TS 119 615)",
    field("Lists", `verified copies in ${q.cacheDir} (nothing fetched)`),
    field(
      "LOTL",
      lotl?.sequence == null ? "none verified: the service would not be ready" : `sequence ${lotl.sequence}`,
    ),
    field("Territories", `${usable} usable of ${q.lists.length - (lotl === undefined ? 0 : 1)}`),
    ...q.lists
      .filter((list) => !list.usable)
      .map((list) => field("", `${list.territory}: ${list.error ?? "not usable"}`)),
  ];
  if (q.listed) {
    lines.push(
      field("List", `${q.territory} sequence ${q.sequence ?? "?"}`),
      field("TSP", q.tsp ?? "?"),
      field("Service", `${q.service ?? "?"} (${q.serviceCertificate ?? "?"})`),
      field("At issuance", `${statusName(q.statusAtIssuance)} (notBefore ${q.issuedAt})`),
      field("Now", `${statusName(q.statusNow)} (at ${report.at})`),
    );
  }
  lines.push(field("Rule", q.ruleText), field("Verdict", qualificationVerdict(q)));
  return lines;
}

function qualificationVerdict(q: NonNullable<InspectReport["qualification"]>): string {
  if (q.qualified) return "QUALIFIED for website authentication";
  if (q.trustedByAnchors) return "not listed; admitted through trust.anchors";
  return `${q.listed ? "NOT QUALIFIED" : "NOT LISTED"}: ${q.reason ?? "?"}`;
}

const QC_TYPE_NAMES: Readonly<Record<string, string>> = { web: "web (QWAC)", eseal: "eseal (QSealC)" };

function qcTypeName(type: string): string {
  return QC_TYPE_NAMES[type] ?? type;
}

function checksBlock(report: InspectReport): string[] {
  const { structure, qwac, validity, chain, revocation, decision } = report.checks;
  const lines = [
    "Checks",
    ...check("Structure", structure),
    ...check("QWAC", qwac),
    ...check("Validity", validity),
  ];
  if (chain !== null) {
    lines.push(...check("Chain", chain));
    if (chain.path.length > 0)
      lines.push(...chain.path.map((subject, index) => `${" ".repeat(20 + 2 * index)}${subject}`));
  }
  if (revocation !== null) lines.push(...check("Revocation", revocation));
  if (decision !== null) lines.push(...check("Decision", decision));
  if (chain === null) lines.push("  (add --config CONFIG for the chain, revocation and policy decision)");
  return lines;
}

function check(name: string, line: CheckLine): string[] {
  const head = `  [${MARK[line.status]}] ${`${name}:`.padEnd(12)}${line.summary}`;
  return line.detail === null ? [head] : [head, `${" ".repeat(20)}${line.detail}`];
}

function field(name: string, value: string): string {
  return `  ${(name === "" ? "" : `${name}:`).padEnd(14)}${value}`;
}

function list(name: string, values: readonly string[], empty?: string): string[] {
  if (values.length === 0) return empty === undefined ? [] : [field(name, empty)];
  return values.map((value, index) => field(index === 0 ? name : "", value));
}
