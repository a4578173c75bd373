import type { Gate } from "./authorize.js";
import type { Config } from "./config/config.js";
import { loadPolicy } from "./policy/policy.js";
import { type RevocationChecker, revocationDisabled } from "./revocation/revocation.js";
import { PeerCertificates } from "./source/peer_certificate.js";
import { loadTrustStore } from "./trust/trust_store.js";
import { VerifiedCertificates } from "./verified_certificates.js";

export interface GateDependencies {
  readonly now: () => Date;
  readonly revocation?: RevocationChecker;
}

/** Loads policy and trust named by the config into one Gate; throws ConfigError naming the bad file. */
export function buildGate(config: Config, deps: GateDependencies): Gate {
  const policy = loadPolicy(config.policy);
  const trust = loadTrustStore({
    anchors: config.trust.anchors,
    ...(config.trust.intermediates === undefined ? {} : { intermediates: config.trust.intermediates }),
  });
  const certificates = new VerifiedCertificates({
    trust,
    qwac: { acceptEseal: config.qwac.acceptEseal },
    headerPrefix: config.headers.prefix,
    maxEntries: config.cache.certificates,
    denialTtlMs: config.cache.denialTtlSeconds * 1000,
    now: deps.now,
  });
  return {
    policy,
    certificates,
    revocation: deps.revocation ?? revocationDisabled,
    peerCertificates: new PeerCertificates(config.limits.maxCertificateBytes, config.cache.certificates),
    now: deps.now,
  };
}
