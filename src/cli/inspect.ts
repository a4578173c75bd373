import { type Denial, REASONS } from "../foundation/reasons.js";
import { fail } from "../foundation/result.js";
import { describeQcStatements, readQwac } from "../qwac/qwac.js";
import { ADVICE } from "./advice.js";
import type { InspectCommand } from "./args.js";
import { certificateSection } from "./certificate_facts.js";
import { type CertificateInput, type InputSources, readCertificateInput } from "./certificate_input.js";
import { leafStructureDenial } from "./certificate_structure.js";
import { type CommandOutput, EXIT_BAD, EXIT_GOOD, usageError } from "./command_output.js";
import { buildInspectReport, type InspectFacts } from "./inspect_report.js";
import { psd2Section, qcSection, rawQcStatements } from "./qc_facts.js";
import { renderJson } from "./render_json.js";
import { renderInspectText } from "./render_text.js";
import { INSPECT_FORMAT } from "./report.js";
import { checkAgainstService, type ServiceFacts } from "./service_checks.js";

export interface InspectEnvironment extends InputSources {
  readonly now: () => Date;
}

/** `qwac inspect`: read the input, gather the facts (and the service's view with --config), report. */
export async function runInspect(command: InspectCommand, env: InspectEnvironment): Promise<CommandOutput> {
  const input = await readCertificateInput(command.input, env);
  if ("unreadable" in input) return usageError(input.unreadable);
  if (!input.ok) return notACertificate(command, input.error, env.now());
  const at = command.at ?? env.now();
  const service =
    command.configFile === undefined
      ? undefined
      : await checkAgainstService(input.value, {
          configFile: command.configFile,
          at,
          now: env.now,
          revocation: command.revocation,
          request: command.request,
        });
  const report = buildInspectReport(facts(input.value, at, service));
  return {
    stdout: command.json ? renderJson(report) : renderInspectText(report),
    stderr: "",
    exitCode: report.verdict === "good" ? EXIT_GOOD : EXIT_BAD,
  };
}

function facts(input: CertificateInput, at: Date, service: ServiceFacts | undefined): InspectFacts {
  const acceptEseal = service?.acceptEseal ?? false;
  const structure = leafStructureDenial(input.leaf);
  // A malformed extension throws on any extension access: the QC readers are not run, the reason stands.
  const malformed = structure?.reason === "CERT_MALFORMED" ? structure : undefined;
  const statements = malformed === undefined ? describeQcStatements(input.leaf) : fail(malformed);
  return {
    at,
    inputFormat: input.format,
    offeredCertificates: input.offered.length,
    certificate: certificateSection(input.leaf),
    period: input.leaf,
    structure,
    qc: qcSection(statements, malformed === undefined ? rawQcStatements(input.leaf) : []),
    psd2: psd2Section(input.leaf, statements),
    qwac: malformed === undefined ? readQwac(input.leaf, { acceptEseal }) : fail(malformed),
    acceptEseal,
    service,
  };
}

/** Not a certificate at all: no report to build, but still the service's reason and a clear sentence. */
function notACertificate(command: InspectCommand, denial: Denial, now: Date): CommandOutput {
  const name = command.input === "-" ? "stdin" : command.input;
  const detail = denial.detail ?? REASONS[denial.reason].text;
  if (!command.json) {
    return {
      stdout: "",
      stderr: `qwac: ${name}: not a readable certificate: ${detail}\n`,
      exitCode: EXIT_BAD,
    };
  }
  const report = {
    format: INSPECT_FORMAT,
    at: (command.at ?? now).toISOString(),
    verdict: "bad",
    error: { reason: denial.reason, detail },
    problems: [{ check: "input", reason: denial.reason, message: detail, ...ADVICE[denial.reason] }],
  };
  return { stdout: renderJson(report), stderr: "", exitCode: EXIT_BAD };
}
