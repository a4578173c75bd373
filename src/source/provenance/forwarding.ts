import { ConfigError } from "../../foundation/config_error.js";
import type { CertificateSource } from "../decoding/certificate_source.js";
import { ClientCertFields } from "../decoding/client_cert_field.js";
import { HeaderCertificates } from "../decoding/header_certificate.js";
import { PeerCertificates } from "../decoding/peer_certificate.js";
import { XfccCertificates } from "../decoding/xfcc.js";
import { CertificateSources } from "./certificate_sources.js";
import { ForwardedSignatureCheck } from "./message_signature/forwarded_signature.js";
import { loadKeyRing } from "./message_signature/key_ring.js";
import type { SignatureConfig } from "./message_signature/signature_config.js";
import { ServerNameCheck } from "./server_name.js";
import {
  DEFAULT_SNI_HEADER,
  forwardedHeaderNames,
  type SniConfig,
  type SourceSpec,
  type SourcesConfig,
} from "./source_config.js";
import { type Cidr, TrustedHop, TrustedHops } from "./trusted_hops.js";

/** A trusted hop as the config file gives it (`trustedHops`, or one entry of its list form). */
export interface HopSettings {
  readonly cidrs: readonly Cidr[];
  readonly principals: readonly string[];
  /** Absent, or `mode: off`: the hop's headers are believed without a signature. */
  readonly signature?: SignatureConfig | undefined;
}

/** The config that decides where certificates and SNI come from; equal settings can keep their caches. */
export interface ForwardingSettings {
  readonly sources: SourcesConfig;
  /** One hop, or a list of hops tried in order. */
  readonly trustedHops: HopSettings | readonly HopSettings[];
  readonly sni: SniConfig;
  readonly maxCertificateBytes: number;
  /** Decoded values remembered per source. */
  readonly maxEntries: number;
  /** Estimated bytes of decoded values per source; default DEFAULT_BYTES_PER_ENTRY per entry. */
  readonly maxCacheBytes?: number;
  /** The HTTP mode has no TLS of its own, so it needs a forwarded source. */
  readonly httpEnabled: boolean;
}

export interface Forwarding {
  readonly sources: CertificateSources;
  readonly serverName: ServerNameCheck;
  /** Always removed before the upstream sees the request (Envoy `headers_to_remove`). */
  readonly forwardedHeaders: readonly string[];
}

/**
 * Builds the sources, the trusted hops (reading their signature keys) and the SNI rule; throws
 * ConfigError for settings that cannot work and for key files that cannot be used. Relative key paths are
 * resolved against the folder of `file`, the config file.
 */
export function buildForwarding(settings: ForwardingSettings, file: string): Forwarding {
  const problem = forwardingProblem(settings);
  if (problem !== undefined) throw new ConfigError(file, problem.key, problem.problem);
  const hopList = hopsOf(settings);
  const hops = new TrustedHops(hopList.map((hop, index) => trustedHop(hop, keyPath(settings, index), file)));
  const principals = new Set(hopList.flatMap((hop) => hop.principals));
  return {
    sources: new CertificateSources(
      settings.sources.map((spec) => sourceFor(spec, settings, principals)),
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

function hopsOf(settings: ForwardingSettings): readonly HopSettings[] {
  const hops = settings.trustedHops;
  return isHopList(hops) ? hops : [hops];
}

function isHopList(hops: HopSettings | readonly HopSettings[]): hops is readonly HopSettings[] {
  return Array.isArray(hops);
}

/** Where a hop's signature keys are in the config file, for error messages. */
function keyPath(settings: ForwardingSettings, index: number): string {
  return isHopList(settings.trustedHops)
    ? `trustedHops.${index}.signature.keys`
    : "trustedHops.signature.keys";
}

function trustedHop(hop: HopSettings, keysAt: string, file: string): TrustedHop {
  const signature = hop.signature;
  if (signature === undefined || signature.mode === "off") return new TrustedHop(hop.cidrs, hop.principals);
  const check = new ForwardedSignatureCheck({
    mode: signature.mode,
    label: signature.label,
    keys: loadKeyRing(signature.keys, file, keysAt),
    maxAgeSeconds: signature.maxAgeSeconds,
    clockSkewSeconds: signature.clockSkewSeconds,
    signatureHeader: signature.headers.signature,
    inputHeader: signature.headers.input,
  });
  return new TrustedHop(hop.cidrs, hop.principals, check);
}

/** Byte bound per cached entry when the settings give none (tools, benchmarks): a large QWAC's share. */
const DEFAULT_BYTES_PER_ENTRY = 8192;

function sourceFor(
  spec: SourceSpec,
  settings: ForwardingSettings,
  trustedPrincipals: ReadonlySet<string>,
): CertificateSource {
  const { maxCertificateBytes: maxBytes, maxEntries } = settings;
  const cache = { maxEntries, maxBytes: settings.maxCacheBytes ?? maxEntries * DEFAULT_BYTES_PER_ENTRY };
  switch (spec.kind) {
    case "peer":
      return new PeerCertificates(maxBytes, cache);
    case "xfcc":
      return new XfccCertificates(maxBytes, cache, trustedPrincipals);
    case "client-cert":
      return new ClientCertFields(maxBytes, cache);
    case "header":
      return new HeaderCertificates(spec.name, maxBytes, cache);
  }
}

/**
 * Settings that are valid one by one but cannot work together. Each would deny every request of a kind
 * the operator evidently meant to allow, so it is a mistake to report at load time, not at the first TPP.
 */
function forwardingProblem(settings: ForwardingSettings): { key: string; problem: string } | undefined {
  const forwarded = settings.sources.some((spec) => spec.kind !== "peer");
  const anyHop = hopsOf(settings).some((hop) => hop.cidrs.length > 0 || hop.principals.length > 0);
  if (forwarded && !anyHop) {
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
