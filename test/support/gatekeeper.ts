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
import type { CheckRequestObject } from "./check_request.js";
import { checkClient } from "./ext_authz_client.js";

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
  return {
    port,
    gate,
    server,
    check: (request) => client.check(request),
    checkRaw: (request) => client.checkBytes(request),
    close: async () => {
      client.close();
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
