import { createHash } from "node:crypto";
import type { X509Certificate } from "@peculiar/x509";
import { type LoadedSnapshot, loadSnapshot } from "../config/snapshot.js";
import { expiryDaysLeft, expiryThresholdDays } from "../ops/expiry_watch.js";
import { verifyChain } from "../trust/chain.js";
import type { TrustStore } from "../trust/trust_store.js";
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

export interface CaSummary {
  readonly subject: string;
  readonly notAfter: string;
  readonly daysLeft: number;
  readonly sha256: string;
}

export interface ConfigSummary {
  readonly format: typeof CHECK_CONFIG_FORMAT;
  readonly config: string;
  readonly at: string;
  readonly mode: "enforce" | "dry-run";
  readonly acceptEseal: boolean;
  readonly policy: {
    readonly file: string;
    readonly rules: number;
    readonly publicRoutes: number;
    readonly dryRunRules: number;
  };
  readonly trust: { readonly anchors: readonly CaSummary[]; readonly intermediates: readonly CaSummary[] };
  readonly revocation: {
    readonly enabled: boolean;
    readonly failMode: string;
    readonly timeoutMs: number;
    readonly fetchTimeoutMs: number;
    readonly order: "ocsp-then-crl" | "crl-then-ocsp" | "ocsp-only" | "crl-only";
    readonly issuerOverrides: number;
  };
  readonly warnings: readonly string[];
}

export async function runCheckConfig(command: CheckConfigCommand, now: () => Date): Promise<CommandOutput> {
  const at = command.at ?? now();
  const snapshot = loadSnapshot(command.configFile, { now: () => at });
  try {
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
  // The policy the snapshot compiled, not a second reading of the file: what is counted is what is enforced.
  const entries = snapshot.gate.policy.entries;
  const rules = entries.filter((entry) => entry.roles !== undefined);
  const revocation = config.revocation;
  return {
    format: CHECK_CONFIG_FORMAT,
    config: config.file,
    at: at.toISOString(),
    mode: config.mode,
    acceptEseal: config.qwac.acceptEseal,
    policy: {
      file: config.policy,
      rules: rules.length,
      publicRoutes: entries.length - rules.length,
      dryRunRules: rules.filter((entry) => entry.mode === "dry-run").length,
    },
    trust: {
      anchors: trust.anchors.map((cert) => caSummary(cert, at)),
      intermediates: trust.intermediates.map((cert) => caSummary(cert, at)),
    },
    revocation: {
      enabled: revocation.enabled,
      failMode: revocation.failMode,
      timeoutMs: revocation.timeoutMs,
      fetchTimeoutMs: revocation.fetchTimeoutMs,
      order: revocation.trySecondSource
        ? revocation.preferCrl
          ? "crl-then-ocsp"
          : "ocsp-then-crl"
        : revocation.preferCrl
          ? "crl-only"
          : "ocsp-only",
      issuerOverrides: revocation.issuers.length,
    },
    warnings: [...expiryWarnings(trust, at), ...(await orphanWarnings(trust, at))],
  };
}

function caSummary(cert: X509Certificate, at: Date): CaSummary {
  return {
    subject: cert.subject,
    notAfter: cert.notAfter.toISOString(),
    daysLeft: expiryDaysLeft(cert.notAfter.getTime() - at.getTime()),
    sha256: createHash("sha256").update(new Uint8Array(cert.rawData)).digest("hex"),
  };
}

function expiryWarnings(trust: TrustStore, at: Date): string[] {
  const warnings: string[] = [];
  const all = [
    ...trust.anchors.map((cert) => ["anchor", cert] as const),
    ...trust.intermediates.map((cert) => ["intermediate", cert] as const),
  ];
  for (const [role, cert] of all) {
    const { daysLeft, notAfter } = caSummary(cert, at);
    if (cert.notBefore.getTime() > at.getTime()) {
      warnings.push(`${role} "${cert.subject}" is not valid before ${cert.notBefore.toISOString()}`);
    } else if (daysLeft < 0) {
      warnings.push(`${role} "${cert.subject}" expired on ${notAfter}: no certificate it issued can pass`);
    } else if (expiryThresholdDays(cert.notAfter.getTime() - at.getTime()) !== undefined) {
      warnings.push(`${role} "${cert.subject}" expires on ${notAfter} (${daysLeft} days left)`);
    }
  }
  return warnings;
}

/** An intermediate that reaches no anchor can never complete a TPP's chain: most likely the wrong file. */
async function orphanWarnings(trust: TrustStore, at: Date): Promise<string[]> {
  const warnings: string[] = [];
  for (const intermediate of trust.intermediates) {
    const chain = await verifyChain(intermediate, trust, { now: at });
    if (!chain.ok && chain.error.reason === "CERT_UNTRUSTED") {
      warnings.push(`intermediate "${intermediate.subject}" does not chain to any configured anchor`);
    }
  }
  return warnings;
}

function renderSummary(summary: ConfigSummary): string {
  const { policy, revocation } = summary;
  const ca = (cert: CaSummary) =>
    `    ${cert.subject}\n      expires ${cert.notAfter} (${cert.daysLeft} days left), SHA-256 ${cert.sha256}`;
  const lines = [
    `config ok: ${summary.config}`,
    `  Mode:           ${summary.mode}`,
    `  Policy:         ${policy.file}`,
    `                  ${policy.rules} rules (${policy.dryRunRules} in dry-run), ${policy.publicRoutes} public routes`,
    `  Certificates:   ${summary.acceptEseal ? "QWAC or QSealC (qwac.acceptEseal: true)" : "QWAC only"}`,
    `  Revocation:     ${revocationText(revocation)}`,
    `  Anchors (${summary.trust.anchors.length}):`,
    ...summary.trust.anchors.map(ca),
    `  Intermediates (${summary.trust.intermediates.length}):`,
    ...summary.trust.intermediates.map(ca),
  ];
  if (summary.warnings.length > 0)
    lines.push("Warnings:", ...summary.warnings.map((warning) => `  ${warning}`));
  return `${lines.map(visible).join("\n")}\n`;
}

function revocationText(revocation: ConfigSummary["revocation"]): string {
  if (!revocation.enabled) return "off (revocation.enabled: false)";
  return (
    `on, ${revocation.order}, failMode ${revocation.failMode}, waits ${revocation.timeoutMs} ms ` +
    `(fetch up to ${revocation.fetchTimeoutMs} ms), ${revocation.issuerOverrides} issuer override(s)`
  );
}
