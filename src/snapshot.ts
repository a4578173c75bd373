import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { Gate } from "./authorize.js";
import { type Config, loadConfig } from "./config/config.js";
import type { Snapshot } from "./gatekeeper.js";
import { loadPolicy } from "./policy/policy.js";
import { createRevocationChecker, type RevocationDeps } from "./revocation/checker.js";
import { PeerCertificates } from "./source/peer_certificate.js";
import type { TrustStore } from "./trust/chain.js";
import { loadTrustStore } from "./trust/trust_store.js";
import { VerifiedCertificates } from "./verified_certificates.js";

/** A snapshot together with what it was loaded from, so the next reload can tell what changed. */
export interface LoadedSnapshot extends Snapshot {
  readonly config: Config;
  readonly trust: TrustStore;
  /** Identifies everything a cached chain verdict depends on: anchors, intermediates, QWAC options. */
  readonly verdictKey: string;
}

export interface SnapshotDeps {
  readonly now: () => Date;
  readonly revocationDeps?: RevocationDeps;
  /** Told about every certificate cache lookup (metrics). */
  readonly onCertificateLookup?: (hit: boolean) => void;
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
    anchors: config.trust.anchors,
    ...(config.trust.intermediates === undefined ? {} : { intermediates: config.trust.intermediates }),
  });
  const verdictKey = verdictKeyOf(config, trust);
  const sameVerdicts = previous !== undefined && previous.verdictKey === verdictKey;
  const sameRevocation =
    previous !== undefined && isDeepStrictEqual(previous.config.revocation, config.revocation);
  const gate: Gate = {
    policy,
    peerCertificates:
      previous !== undefined &&
      previous.config.limits.maxCertificateBytes === config.limits.maxCertificateBytes
        ? previous.gate.peerCertificates
        : new PeerCertificates(config.limits.maxCertificateBytes, config.cache.certificates),
    certificates: sameVerdicts
      ? previous.gate.certificates
      : new VerifiedCertificates({
          trust,
          qwac: { acceptEseal: config.qwac.acceptEseal },
          headerPrefix: config.headers.prefix,
          maxEntries: config.cache.certificates,
          denialTtlMs: config.cache.denialTtlSeconds * 1000,
          now: deps.now,
          ...(deps.onCertificateLookup === undefined ? {} : { onLookup: deps.onCertificateLookup }),
        }),
    revocation: sameRevocation
      ? previous.gate.revocation
      : createRevocationChecker(config.revocation, deps.revocationDeps),
    now: deps.now,
  };
  return {
    config,
    trust,
    verdictKey,
    gate,
    responses: { headerPrefix: config.headers.prefix, reasonHeader: config.headers.reason },
    mode: config.mode,
  };
}

function verdictKeyOf(config: Config, trust: TrustStore): string {
  const hash = createHash("sha256");
  for (const cert of [...trust.anchors, ...trust.intermediates]) hash.update(new Uint8Array(cert.rawData));
  hash.update(JSON.stringify([config.qwac, config.headers.prefix, config.cache]));
  return hash.digest("hex");
}
