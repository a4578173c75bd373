import * as grpc from "@grpc/grpc-js";
import type { X509Certificate } from "@peculiar/x509";
import pino from "pino";
import { AuthorizationServer } from "../../src/envoy/server.js";
import type { WireCheckResponse } from "../../src/envoy/wire.js";
import { decisionRecorder } from "../../src/ops/decision_recorder.js";
import { assembleGate, type Gate } from "../../src/pipeline/gate.js";
import { Gatekeeper } from "../../src/pipeline/gatekeeper.js";
import { parsePolicy } from "../../src/policy/policy.js";
import { type RevocationChecker, revocationDisabled } from "../../src/revocation/revocation.js";
import { buildForwarding, type Forwarding } from "../../src/source/provenance/forwarding.js";
import { sniSchema, sourcesSchema, trustedHopsSchema } from "../../src/source/provenance/source_config.js";
import { trustStoreFromCertificates } from "../../src/trust/trust_store.js";
import type { ChainVerifier } from "../../src/trust/trusted_lists/list_trust.js";
import { checkClient } from "./grpc_client.js";

export interface GatekeeperOptions {
  readonly anchors: readonly X509Certificate[];
  readonly intermediates?: readonly X509Certificate[];
  readonly policyYaml: string;
  readonly now?: () => Date;
  readonly revocation?: RevocationChecker;
  readonly acceptEseal?: boolean;
  readonly headerPrefix?: string;
  readonly maxCertificateBytes?: number;
  readonly mode?: "enforce" | "dry-run";
  /** Where the decision log goes (default: nowhere). */
  readonly logger?: pino.Logger;
  /**
   * `sources`, `trustedHops` and `sni` exactly as in the config file. Without it the gate reads Envoy's
   * peer certificate only and lists no forwarded headers for removal (the responses older tests expect).
   */
  readonly forwarding?: ForwardingOptions;
  /** Trust from EU trusted lists (src/trust/trusted_lists/list_trust.ts) on top of `anchors`. */
  readonly chainVerifier?: ChainVerifier;
}

export interface ForwardingOptions {
  readonly sources?: unknown;
  readonly trustedHops?: unknown;
  readonly sni?: unknown;
}

export interface RunningGatekeeper {
  readonly port: number;
  readonly gate: Gate;
  readonly server: AuthorizationServer;
  /** A real grpc-js client on loopback, using the project's protos. */
  check(request: CheckRequestObject): Promise<WireCheckResponse>;
  /** Sends raw protobuf bytes and returns the raw response bytes: no project proto involved. */
  checkRaw(request: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export interface CheckRequestObject {
  attributes: Record<string, unknown>;
}

/** The core every edge calls, with an in-memory trust store and policy, logging nowhere. */
export function createGatekeeper(options: GatekeeperOptions): { gatekeeper: Gatekeeper; gate: Gate } {
  const now = options.now ?? (() => new Date());
  const prefix = options.headerPrefix ?? "x-tpp-";
  const forwarding = forwardingOf(options);
  const gate = assembleGate({
    policy: parsePolicy(options.policyYaml, "test-policy.yaml"),
    trust: trustStoreFromCertificates(options.anchors, options.intermediates ?? []),
    forwarding,
    revocation: options.revocation ?? revocationDisabled,
    now,
    qwac: { acceptEseal: options.acceptEseal ?? false },
    headerPrefix: prefix,
    cache: { certificates: 1000, maxBytes: 64 * 1024 * 1024, denialTtlSeconds: 0 },
    ...(options.chainVerifier === undefined ? {} : { chainVerifier: options.chainVerifier }),
  });
  const gatekeeper = new Gatekeeper(
    {
      gate,
      responses: {
        headerPrefix: prefix,
        reasonHeader: "x-authz-reason",
        ...(options.forwarding === undefined ? {} : { forwardedHeaders: forwarding.forwardedHeaders }),
      },
      mode: options.mode ?? "enforce",
    },
    decisionRecorder({ logger: options.logger ?? SILENT }),
  );
  return { gatekeeper, gate };
}

const SILENT = pino({ level: "silent" });

/** Starts the real gRPC server on a free loopback port, with an in-memory trust store and policy. */
export async function startGatekeeper(options: GatekeeperOptions): Promise<RunningGatekeeper> {
  const { gatekeeper, gate } = createGatekeeper(options);
  const logger = SILENT;
  const server = new AuthorizationServer({ gatekeeper, logger });
  const port = await server.listen("127.0.0.1", 0);
  const client = checkClient(port);
  const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    port,
    gate,
    server,
    check: (request) => client.check(request),
    checkRaw: (request) =>
      new Promise((resolve, reject) => {
        raw.makeUnaryRequest(
          "/envoy.service.auth.v3.Authorization/Check",
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          request,
          (error, value) => (error === null && value !== undefined ? resolve(value) : reject(error)),
        );
      }),
    close: async () => {
      client.close();
      raw.close();
      await server.stop(1000);
    },
  };
}

/** The same schemas and builder as the service, so a test configures forwarding as an operator would. */
export function forwardingOf(
  options: Pick<GatekeeperOptions, "forwarding" | "maxCertificateBytes">,
): Forwarding {
  const forwarding = options.forwarding ?? {};
  return buildForwarding(
    {
      sources: sourcesSchema.parse(forwarding.sources),
      trustedHops: trustedHopsSchema.parse(forwarding.trustedHops ?? {}),
      sni: sniSchema.parse(forwarding.sni ?? {}),
      maxCertificateBytes: options.maxCertificateBytes ?? 16_384,
      maxEntries: 1000,
      httpEnabled: false,
    },
    "test-config.yaml",
  );
}

/** Envoy's encoding of `source.certificate`: the PEM, percent-encoded. */
export function envoyCertificate(pem: string): string {
  return encodeURIComponent(pem);
}

export interface RequestSpec {
  readonly method?: string;
  readonly path: string;
  readonly certPem?: string;
  readonly rawCertificate?: string;
  readonly headers?: Record<string, string>;
  readonly contextExtensions?: Record<string, string>;
  readonly rawHeaders?: boolean;
  /** Envoy's `source.address` (default 127.0.0.1) and `source.principal`. */
  readonly sourceAddress?: string;
  readonly principal?: string;
  /** Envoy's `tls_session.sni`. */
  readonly sni?: string;
}

/** A CheckRequest as Envoy fills it (headers map including pseudo-headers; or header_map when raw). */
export function checkRequest(spec: RequestSpec): CheckRequestObject {
  const method = spec.method ?? "GET";
  const headers: Record<string, string> = {
    ":method": method,
    ":path": spec.path,
    ":authority": "api.bank.example",
    "x-request-id": "req-1",
    ...spec.headers,
  };
  const certificate =
    spec.rawCertificate ?? (spec.certPem === undefined ? undefined : envoyCertificate(spec.certPem));
  const http = spec.rawHeaders
    ? {
        id: "req-1",
        method,
        path: spec.path,
        host: "api.bank.example",
        header_map: {
          headers: Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
        },
      }
    : { id: "req-1", method, path: spec.path, host: "api.bank.example", headers };
  return {
    attributes: {
      source: {
        address: { socket_address: { address: spec.sourceAddress ?? "127.0.0.1", port_value: 50000 } },
        ...(spec.principal === undefined ? {} : { principal: spec.principal }),
        ...(certificate === undefined ? {} : { certificate }),
      },
      request: { http },
      context_extensions: spec.contextExtensions ?? {},
      ...(spec.sni === undefined ? {} : { tls_session: { sni: spec.sni } }),
    },
  };
}

export function headerValue(response: WireCheckResponse, name: string): string | undefined {
  const headers = response.ok_response?.headers ?? response.denied_response?.headers ?? [];
  return headers.find((option) => option.header.key === name)?.header.value;
}
