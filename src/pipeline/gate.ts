import type { ResponseSettings } from "../decision/response_settings.js";
import type { Policy } from "../policy/policy.js";
import type { QwacOptions } from "../qwac/qwac.js";
import type { RevocationChecker } from "../revocation/revocation.js";
import type { CertificateSources } from "../source/provenance/certificate_sources.js";
import type { ServerNameCheck } from "../source/provenance/server_name.js";
import type { TrustStore } from "../trust/trust_store.js";
import type { ChainVerifier } from "../trust/trusted_lists/list_trust.js";
import { VerifiedCertificates } from "./verified_certificates.js";

/** One consistent set of everything a Check needs; swapped as a whole on reload. */
export interface Gate {
  readonly policy: Policy;
  /** Where the client certificate comes from, in the configured order, with the trusted-hop rule. */
  readonly sources: CertificateSources;
  /** The SNI rule (`sni:`); a no-op when not configured. */
  readonly serverName: ServerNameCheck;
  readonly certificates: VerifiedCertificates;
  readonly revocation: RevocationChecker;
  readonly now: () => Date;
}

/** Everything loaded from the config files, swapped in as one piece so a Check never sees two versions. */
export interface Snapshot {
  readonly gate: Gate;
  readonly responses: ResponseSettings;
  /** dry-run: every policy denial is reported, not enforced. */
  readonly mode: "enforce" | "dry-run";
}

/** The parts of a gate, each already loaded (from files by config/snapshot.ts, in memory by tests). */
export interface GateParts {
  readonly policy: Policy;
  readonly trust: TrustStore;
  readonly forwarding: { readonly sources: CertificateSources; readonly serverName: ServerNameCheck };
  readonly revocation: RevocationChecker;
  readonly now: () => Date;
  readonly qwac: QwacOptions;
  readonly headerPrefix: string;
  readonly cache: CacheBudget;
  /** Trust from the EU trusted lists, when configured. */
  readonly chainVerifier?: ChainVerifier;
  /** Told about every certificate cache lookup (metrics). */
  readonly onCertificateLookup?: (hit: boolean) => void;
  /** Verified certificates kept from the previous gate, when nothing they depend on changed. */
  readonly keep?: VerifiedCertificates;
}

/** `cache:` of the config file. */
export interface CacheBudget {
  readonly certificates: number;
  readonly maxBytes: number;
  readonly denialTtlSeconds: number;
}

/**
 * The one way a gate is put together: the service, the reloader, the CLI, the warm-up, the tests and the
 * benchmarks all call it, so each runs the gate production runs.
 */
export function assembleGate(parts: GateParts): Gate {
  return {
    policy: parts.policy,
    sources: parts.forwarding.sources,
    serverName: parts.forwarding.serverName,
    certificates: parts.keep ?? verifiedCertificates(parts),
    revocation: parts.revocation,
    now: parts.now,
  };
}

function verifiedCertificates(parts: GateParts): VerifiedCertificates {
  return new VerifiedCertificates({
    trust: parts.trust,
    qwac: parts.qwac,
    headerPrefix: parts.headerPrefix,
    maxEntries: parts.cache.certificates,
    // The verdicts get half of the budget; the certificate sources' decoded values share the other half.
    maxBytes: Math.floor(parts.cache.maxBytes / 2),
    denialTtlMs: parts.cache.denialTtlSeconds * 1000,
    ...(parts.onCertificateLookup === undefined ? {} : { onLookup: parts.onCertificateLookup }),
    ...(parts.chainVerifier === undefined ? {} : { chainVerifier: parts.chainVerifier }),
  });
}
