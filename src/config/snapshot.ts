import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { assembleGate, type Snapshot } from "../pipeline/gate.js";
import { loadPolicy } from "../policy/policy.js";
import { createRevocationChecker, type RevocationDeps } from "../revocation/checker.js";
import {
  buildForwarding,
  type Forwarding,
  type ForwardingSettings,
} from "../source/provenance/forwarding.js";
import type { TrustStore } from "../trust/trust_store.js";
import { loadTrustStore } from "../trust/trust_store.js";
import type { ChainVerifier } from "../trust/trusted_lists/list_trust.js";
import { type Config, loadConfig } from "./config.js";

/** A snapshot together with what it was loaded from, so the next reload can tell what changed. */
export interface LoadedSnapshot extends Snapshot {
  readonly config: Config;
  readonly trust: TrustStore;
  /** Identifies everything a cached chain verdict depends on: anchors, intermediates, QWAC options. */
  readonly verdictKey: string;
  /** Certificate sources, trusted hops and SNI rule, kept across reloads that do not change them. */
  readonly forwarding: Forwarding;
  readonly signatureKeysDigest: string;
}

export interface SnapshotDeps {
  readonly now: () => Date;
  readonly revocationDeps?: RevocationDeps;
  /** Told about every certificate cache lookup (metrics). */
  readonly onCertificateLookup?: (hit: boolean) => void;
  /** Trust from the EU trusted lists, when `trust.trustedLists` is configured (started by the service). */
  readonly chainVerifier?: ChainVerifier;
}

/**
 * Loads the config file and everything it names (policy, trust, revocation settings) into one snapshot.
 * Throws ConfigError naming the bad file; builds nothing half-way, so a failed reload changes nothing.
 * Caches survive a reload when what they depend on is unchanged: a policy edit keeps every verified
 * certificate and revocation answer; a trust change starts the chain cache afresh, so no verdict that
 * depended on a removed anchor outlives it.
 */
export function loadSnapshot(
  configFile: string,
  deps: SnapshotDeps,
  previous?: LoadedSnapshot,
): LoadedSnapshot {
  const config = loadConfig(configFile);
  const policy = loadPolicy(config.policy);
  const trust = loadTrustStore({
    ...(config.trust.anchors === undefined ? {} : { anchors: config.trust.anchors }),
    ...(config.trust.intermediates === undefined ? {} : { intermediates: config.trust.intermediates }),
  });
  const verdictKey = verdictKeyOf(config, trust);
  const sameVerdicts = previous !== undefined && previous.verdictKey === verdictKey;
  const sameRevocation =
    previous !== undefined && isDeepStrictEqual(previous.config.revocation, config.revocation);
  // Read before the keys are loaded: a key file changed in between makes the next reload rebuild (safe),
  // never keep keys older than the digest says.
  const keysDigest = signatureKeysDigest(config);
  const forwarding = forwardingFor(config, keysDigest, previous);
  const gate = assembleGate({
    policy,
    trust,
    forwarding,
    qwac: { acceptEseal: config.qwac.acceptEseal },
    headerPrefix: config.headers.prefix,
    cache: config.cache,
    ...(sameVerdicts ? { keep: previous.gate.certificates } : {}),
    ...(deps.onCertificateLookup === undefined ? {} : { onCertificateLookup: deps.onCertificateLookup }),
    ...(deps.chainVerifier === undefined ? {} : { chainVerifier: deps.chainVerifier }),
    revocation: sameRevocation
      ? previous.gate.revocation
      : // A changed setting builds a new checker, but what the old one verified carries over: a certificate
        // seen revoked stays revoked, whatever an older "good" answer replayed later says (RFC 5280 3.3).
        createRevocationChecker(
          config.revocation,
          deps.revocationDeps,
          previous?.gate.revocation.keptAnswers?.(deps.now()),
        ),
    now: deps.now,
  });
  return {
    config,
    trust,
    verdictKey,
    gate,
    forwarding,
    signatureKeysDigest: keysDigest,
    responses: {
      headerPrefix: config.headers.prefix,
      reasonHeader: config.headers.reason,
      forwardedHeaders: forwarding.forwardedHeaders,
    },
    mode: config.mode,
  };
}

/**
 * Unchanged settings keep the sources, whose caches hold decoded certificates and whose replay guards
 * hold the nonces seen. "Unchanged" includes the contents of the signature key files, so a key edited in
 * place (or removed from its file) takes effect on reload like any other change.
 */
function forwardingFor(config: Config, keysDigest: string, previous: LoadedSnapshot | undefined): Forwarding {
  const settings = forwardingSettings(config);
  if (
    previous !== undefined &&
    isDeepStrictEqual(forwardingSettings(previous.config), settings) &&
    previous.signatureKeysDigest === keysDigest
  )
    return previous.forwarding;
  return buildForwarding(settings, config.file);
}

/** A digest of every signature key file the config names (building the forwarding reports unreadable ones). */
function signatureKeysDigest(config: Config): string {
  const hash = createHash("sha256");
  for (const path of signatureKeyFiles(config)) {
    try {
      hash.update(path).update(readFileSync(path));
    } catch {
      return `unreadable:${path}`;
    }
  }
  return hash.digest("hex");
}

/** Every signature key file of every trusted hop, resolved against the config file's folder. */
export function signatureKeyFiles(config: Config): string[] {
  const hops = Array.isArray(config.trustedHops) ? config.trustedHops : [config.trustedHops];
  return hops.flatMap((hop) =>
    (hop.signature?.keys ?? []).map((key) =>
      isAbsolute(key.file) ? key.file : resolve(dirname(config.file), key.file),
    ),
  );
}

function forwardingSettings(config: Config): ForwardingSettings {
  return {
    sources: config.sources,
    trustedHops: config.trustedHops,
    sni: config.sni,
    maxCertificateBytes: config.limits.maxCertificateBytes,
    maxEntries: config.cache.certificates,
    // The other half of the budget (the verdicts have the first), shared by the configured sources.
    maxCacheBytes: Math.floor(config.cache.maxBytes / 2 / Math.max(1, config.sources.length)),
    httpEnabled: config.http.enabled,
  };
}

function verdictKeyOf(config: Config, trust: TrustStore): string {
  const hash = createHash("sha256");
  for (const cert of [...trust.anchors, ...trust.intermediates]) hash.update(new Uint8Array(cert.rawData));
  hash.update(JSON.stringify([config.qwac, config.headers.prefix, config.cache]));
  return hash.digest("hex");
}
