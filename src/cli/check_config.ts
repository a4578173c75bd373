import {
  type CaSummary,
  caSummary,
  findings,
  type RevocationFacts,
  revocationFacts,
  revocationText,
  startSummary,
} from "../config/findings.js";
import { preflight } from "../config/preflight.js";
import { type LoadedSnapshot, loadSnapshot } from "../config/snapshot.js";
import type { PolicyCounts } from "../policy/policy.js";
import type { CheckConfigCommand } from "./args.js";
import { type CommandOutput, EXIT_GOOD } from "./command_output.js";
import { renderJson } from "./render_json.js";
import { visible } from "./render_text.js";

/**
 * `qwac check-config`: loads the config exactly as the service does (loadSnapshot: config, policy, trust,
 * revocation settings) without starting a server. A ConfigError escapes to the entry point, which prints
 * it as the service does. What loads but will hurt later (an anchor about to expire, an intermediate
 * that reaches no anchor) is a warning: the service would start with it.
 */
export const CHECK_CONFIG_FORMAT = "qwac-check-config/1";

export interface ConfigSummary {
  readonly format: typeof CHECK_CONFIG_FORMAT;
  readonly config: string;
  readonly at: string;
  readonly mode: "enforce" | "dry-run";
  readonly acceptEseal: boolean;
  readonly listen: Listener;
  readonly http: Listener | null;
  readonly metrics: Listener | null;
  readonly sources: readonly string[];
  readonly sni: string;
  readonly audit: string | null;
  readonly policy: PolicyCounts & { readonly file: string };
  readonly trust: {
    readonly anchors: readonly CaSummary[];
    readonly intermediates: readonly CaSummary[];
    readonly trustedLists: string | null;
  };
  readonly revocation: RevocationFacts;
  readonly warnings: readonly string[];
}

export interface Listener {
  readonly host: string;
  readonly port: number;
}

export async function runCheckConfig(command: CheckConfigCommand, now: () => Date): Promise<CommandOutput> {
  const at = command.at ?? now();
  const snapshot = loadSnapshot(command.configFile, { now: () => at });
  try {
    // What the service would only learn at bind or open time, in the words it would use.
    const [problem] = await preflight(snapshot.config);
    if (problem !== undefined) throw problem;
    const summary = await summarise(snapshot, at);
    return {
      stdout: command.json ? renderJson(summary) : renderSummary(summary),
      stderr: "",
      exitCode: EXIT_GOOD,
    };
  } finally {
    await snapshot.gate.revocation.close();
  }
}

async function summarise(snapshot: LoadedSnapshot, at: Date): Promise<ConfigSummary> {
  const { config, trust } = snapshot;
  const start = startSummary(snapshot);
  const listener = (on: { host: string; port: number }): Listener => ({ host: on.host, port: on.port });
  return {
    format: CHECK_CONFIG_FORMAT,
    config: config.file,
    at: at.toISOString(),
    mode: config.mode,
    acceptEseal: config.qwac.acceptEseal,
    listen: listener(config.listen),
    http: config.http.enabled ? listener(config.http) : null,
    metrics: config.metrics.enabled ? listener(config.metrics) : null,
    sources: start.sources,
    sni: start.sni,
    audit: config.audit.file ?? null,
    policy: { file: config.policy, ...start.policy },
    trust: {
      anchors: trust.anchors.map((cert) => caSummary(cert, at)),
      intermediates: trust.intermediates.map((cert) => caSummary(cert, at)),
      trustedLists: config.trust.trustedLists?.lotl ?? null,
    },
    revocation: revocationFacts(config.revocation),
    warnings: (await findings(snapshot, at)).map((finding) => finding.message),
  };
}

function renderSummary(summary: ConfigSummary): string {
  const { policy, revocation } = summary;
  const on = (listener: Listener | null, off: string) =>
    listener === null ? off : `${listener.host}:${listener.port}`;
  // visible() per value, not per line: a subject with a newline must not break the layout, and the
  // layout's own newlines must not be escaped.
  const ca = (cert: CaSummary) => [
    `    ${visible(cert.subject)}`,
    `      expires ${cert.notAfter} (${cert.daysLeft} days left), SHA-256 ${cert.sha256}`,
  ];
  const lines = [
    `config ok: ${visible(summary.config)}`,
    `  Mode:           ${summary.mode}`,
    `  gRPC ext_authz: ${on(summary.listen, "")}`,
    `  HTTP mode:      ${on(summary.http, "off (http.enabled: false)")}`,
    `  Metrics:        ${on(summary.metrics, "off (metrics.enabled: false)")}`,
    `  Sources:        ${summary.sources.map(visible).join(", ")}`,
    `  SNI:            ${visible(summary.sni)}`,
    `  Audit:          ${summary.audit === null ? "off" : visible(summary.audit)}`,
    `  Policy:         ${visible(policy.file)}`,
    `                  ${policy.rules} rules (${policy.dryRunRules} in dry-run), ${policy.publicRoutes} public routes`,
    `  Certificates:   ${summary.acceptEseal ? "QWAC or QSealC (qwac.acceptEseal: true)" : "QWAC only"}`,
    `  Revocation:     ${revocationText(revocation)}`,
    ...(summary.trust.trustedLists === null
      ? []
      : [`  Trusted lists:  ${visible(summary.trust.trustedLists)}`]),
    `  Anchors (${summary.trust.anchors.length}):`,
    ...summary.trust.anchors.flatMap(ca),
    `  Intermediates (${summary.trust.intermediates.length}):`,
    ...summary.trust.intermediates.flatMap(ca),
  ];
  if (summary.warnings.length > 0)
    lines.push("Warnings:", ...summary.warnings.map((warning) => `  ${visible(warning)}`));
  return `${lines.join("\n")}\n`;
}
