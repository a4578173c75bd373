import { ConfigError } from "../config/config_error.js";
import type { CertificateSource } from "./certificate_source.js";
import { CertificateSources } from "./certificate_sources.js";
import { ClientCertFields } from "./client_cert_field.js";
import { HeaderCertificates } from "./header_certificate.js";
import { PeerCertificates } from "./peer_certificate.js";
import { ServerNameCheck } from "./server_name.js";
import {
  DEFAULT_SNI_HEADER,
  forwardedHeaderNames,
  type SniConfig,
  type SourceSpec,
  type SourcesConfig,
  type TrustedHopsConfig,
} from "./source_config.js";
import { TrustedHops } from "./trusted_hops.js";
import { XfccCertificates } from "./xfcc.js";

/** The config that decides where certificates and SNI come from; equal settings can keep their caches. */
export interface ForwardingSettings {
  readonly sources: SourcesConfig;
  readonly trustedHops: TrustedHopsConfig;
  readonly sni: SniConfig;
  readonly maxCertificateBytes: number;
  /** Decoded values remembered per source. */
  readonly maxEntries: number;
  /** The HTTP mode has no TLS of its own, so it needs a forwarded source. */
  readonly httpEnabled: boolean;
}

export interface Forwarding {
  readonly sources: CertificateSources;
  readonly serverName: ServerNameCheck;
  /** Always removed before the upstream sees the request (Envoy `headers_to_remove`). */
  readonly forwardedHeaders: readonly string[];
}

/** Builds the sources, the trusted hops and the SNI rule; throws ConfigError for settings that cannot work. */
export function buildForwarding(settings: ForwardingSettings, file: string): Forwarding {
  const problem = forwardingProblem(settings);
  if (problem !== undefined) throw new ConfigError(file, problem.key, problem.problem);
  const hops = new TrustedHops(settings.trustedHops.cidrs, settings.trustedHops.principals);
  return {
    sources: new CertificateSources(
      settings.sources.map((spec) => sourceFor(spec, settings)),
      hops,
    ),
    serverName: new ServerNameCheck(settings.sni, hops),
    forwardedHeaders: forwardedHeaderNames(settings.sources, settings.sni),
  };
}

/**
 * The config file's defaults: Envoy's peer certificate only, no trusted hop, no SNI rule. For code that
 * builds a Gate without a config file (the benchmark, tools).
 */
export function peerOnlyForwarding(maxCertificateBytes: number, maxEntries: number): Forwarding {
  return buildForwarding(
    {
      sources: [{ kind: "peer" }],
      trustedHops: { cidrs: [], principals: [] },
      sni: { required: false, hosts: [], header: DEFAULT_SNI_HEADER },
      maxCertificateBytes,
      maxEntries,
      httpEnabled: false,
    },
    "(defaults)",
  );
}

function sourceFor(spec: SourceSpec, settings: ForwardingSettings): CertificateSource {
  const { maxCertificateBytes: maxBytes, maxEntries } = settings;
  switch (spec.kind) {
    case "peer":
      return new PeerCertificates(maxBytes, maxEntries);
    case "xfcc":
      return new XfccCertificates(maxBytes, maxEntries, new Set(settings.trustedHops.principals));
    case "client-cert":
      return new ClientCertFields(maxBytes, maxEntries);
    case "header":
      return new HeaderCertificates(spec.name, maxBytes, maxEntries);
  }
}

/**
 * Settings that are valid one by one but cannot work together. Each would deny every request of a kind
 * the operator evidently meant to allow, so it is a mistake to report at load time, not at the first TPP.
 */
function forwardingProblem(settings: ForwardingSettings): { key: string; problem: string } | undefined {
  const forwarded = settings.sources.some((spec) => spec.kind !== "peer");
  if (forwarded && settings.trustedHops.cidrs.length === 0 && settings.trustedHops.principals.length === 0) {
    return {
      key: "trustedHops",
      problem:
        "sources name a forwarded header but no hop is trusted to send it; list its cidrs or principals",
    };
  }
  if (settings.httpEnabled && !forwarded) {
    return {
      key: "sources",
      problem:
        "the HTTP mode sees no TLS connection; list the header the proxy forwards (xfcc, client-cert, header)",
    };
  }
  return undefined;
}
