import { createHash } from "node:crypto";
import type { X509Certificate } from "@peculiar/x509";
import { expiryDaysLeft, expiryThresholdDays } from "../ops/expiry_watch.js";
import type { PolicyCounts } from "../policy/policy.js";
import type { RevocationConfig } from "../revocation/config.js";
import { verifyChain } from "../trust/chain.js";
import type { TrustStore } from "../trust/trust_store.js";
import type { LoadedSnapshot } from "./snapshot.js";

/**
 * What a configuration that loads says about itself: the facts on-call wants in the first log line, and
 * what will hurt later (dry-run, revocation off, a CA about to expire, an intermediate that reaches no
 * anchor). The service logs these at start and on reload; `qwac check-config` prints the same ones, so
 * the two never disagree on what is worth a warning.
 */

export type FindingKind =
  | "dry-run"
  | "revocation-off"
  | "ca-not-yet-valid"
  | "ca-expired"
  | "ca-expiring"
  | "intermediate-unchained";

export interface Finding {
  readonly kind: FindingKind;
  readonly message: string;
}

export interface CaSummary {
  readonly subject: string;
  readonly notAfter: string;
  readonly daysLeft: number;
  readonly sha256: string;
}

export type RevocationOrder = "ocsp-then-crl" | "crl-then-ocsp" | "ocsp-only" | "crl-only";

/** The start-up facts, flat enough for one log line. */
export interface StartSummary {
  readonly mode: "enforce" | "dry-run";
  readonly policy: PolicyCounts;
  readonly anchors: number;
  /** The earliest notAfter of the configured anchors, ISO; undefined without anchors. */
  readonly anchorsEarliestExpiry: string | undefined;
  readonly intermediates: number;
  readonly trustedLists: boolean;
  readonly revocation: string;
  readonly sources: readonly string[];
  readonly sni: string;
  readonly acceptEseal: boolean;
  readonly audit: string | undefined;
}

export function startSummary(snapshot: LoadedSnapshot): StartSummary {
  const { config, trust } = snapshot;
  const earliest = trust.anchors.reduce<Date | undefined>(
    (soonest, cert) => (soonest === undefined || cert.notAfter < soonest ? cert.notAfter : soonest),
    undefined,
  );
  return {
    mode: config.mode,
    policy: snapshot.gate.policy.counts,
    anchors: trust.anchors.length,
    anchorsEarliestExpiry: earliest?.toISOString(),
    intermediates: trust.intermediates.length,
    trustedLists: config.trust.trustedLists !== undefined,
    revocation: revocationText(revocationFacts(config.revocation)),
    sources: config.sources.map((source) =>
      source.kind === "header" ? `header ${source.name}` : source.kind,
    ),
    sni:
      config.sni.hosts.length === 0
        ? "not checked"
        : `${config.sni.required ? "required" : "checked when present"}: ${config.sni.hosts.join(", ")}`,
    acceptEseal: config.qwac.acceptEseal,
    audit: config.audit.file,
  };
}

/** Revocation settings as on-call reads them (the JSON of `qwac check-config`, the start-up line). */
export interface RevocationFacts {
  readonly enabled: boolean;
  readonly failMode: string;
  readonly timeoutMs: number;
  readonly fetchTimeoutMs: number;
  readonly order: RevocationOrder;
  readonly issuerOverrides: number;
}

export function revocationFacts(revocation: RevocationConfig): RevocationFacts {
  return {
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
  };
}

export function revocationText(revocation: RevocationFacts): string {
  if (!revocation.enabled) return "off (revocation.enabled: false)";
  return (
    `on, ${revocation.order}, failMode ${revocation.failMode}, waits ${revocation.timeoutMs} ms ` +
    `(fetch up to ${revocation.fetchTimeoutMs} ms), ${revocation.issuerOverrides} issuer override(s)`
  );
}

export async function findings(snapshot: LoadedSnapshot, at: Date): Promise<Finding[]> {
  const { config, trust } = snapshot;
  const modes: Finding[] = [];
  if (config.mode === "dry-run")
    modes.push({
      kind: "dry-run",
      message: "mode: dry-run: every denial is logged and counted, but the request is ALLOWED",
    });
  if (!config.revocation.enabled)
    modes.push({
      kind: "revocation-off",
      message: "revocation.enabled: false: a revoked TPP certificate is admitted",
    });
  // With trusted lists an intermediate may chain to a listed service instead of an anchor.
  const unchained = config.trust.trustedLists === undefined ? await unchainedFindings(trust, at) : [];
  return [...modes, ...expiryFindings(trust, at), ...unchained];
}

export function caSummary(cert: X509Certificate, at: Date): CaSummary {
  return {
    subject: cert.subject,
    notAfter: cert.notAfter.toISOString(),
    daysLeft: expiryDaysLeft(cert.notAfter.getTime() - at.getTime()),
    sha256: sha256Of(cert),
  };
}

function expiryFindings(trust: TrustStore, at: Date): Finding[] {
  const found: Finding[] = [];
  const all = [
    ...trust.anchors.map((cert) => ["anchor", cert] as const),
    ...trust.intermediates.map((cert) => ["intermediate", cert] as const),
  ];
  for (const [role, cert] of all) {
    const { daysLeft, notAfter } = caSummary(cert, at);
    const name = `${role} "${cert.subject}"`;
    if (cert.notBefore.getTime() > at.getTime()) {
      found.push({
        kind: "ca-not-yet-valid",
        message: `${name} is not valid before ${cert.notBefore.toISOString()}`,
      });
    } else if (daysLeft < 0) {
      found.push({
        kind: "ca-expired",
        message: `${name} expired on ${notAfter}: no certificate it issued can pass`,
      });
    } else if (expiryThresholdDays(cert.notAfter.getTime() - at.getTime()) !== undefined) {
      // The same T-30 rule as the TPP certificates' warnings.
      found.push({ kind: "ca-expiring", message: `${name} expires on ${notAfter} (${daysLeft} days left)` });
    }
  }
  return found;
}

/**
 * An intermediate that reaches no anchor can never complete a TPP's chain: most likely the wrong file.
 * One that is itself an anchor (the same certificate in both files) chains by definition.
 */
async function unchainedFindings(trust: TrustStore, at: Date): Promise<Finding[]> {
  const anchors = new Set(trust.anchors.map(sha256Of));
  const found: Finding[] = [];
  for (const intermediate of trust.intermediates) {
    if (anchors.has(sha256Of(intermediate))) continue;
    const chain = await verifyChain(intermediate, trust, { now: at });
    if (!chain.ok && chain.error.reason === "CERT_UNTRUSTED") {
      found.push({
        kind: "intermediate-unchained",
        message: `intermediate "${intermediate.subject}" does not chain to any configured anchor`,
      });
    }
  }
  return found;
}

function sha256Of(cert: X509Certificate): string {
  return createHash("sha256").update(new Uint8Array(cert.rawData)).digest("hex");
}
