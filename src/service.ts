import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { DestinationStream } from "pino";
import { loadConfig } from "./config/config.js";
import { findings, startSummary } from "./config/findings.js";
import { type LoadedSnapshot, loadSnapshot } from "./config/snapshot.js";
import { AuthorizationServer } from "./envoy/server.js";
import { PROJECT_ROOT } from "./foundation/project_root.js";
import { HttpAuthorizationServer } from "./http/http_server.js";
import { AuditLog } from "./ops/audit_log.js";
import { decisionRecorder } from "./ops/decision_recorder.js";
import { ExpiryWatch } from "./ops/expiry_watch.js";
import { type ListenTarget, listenFailure } from "./ops/listen_failure.js";
import { createLogger, type Logger } from "./ops/log.js";
import { type BuildInfo, GatekeeperMetrics } from "./ops/metrics.js";
import { OpsServer } from "./ops/ops_server.js";
import { PidFile } from "./ops/pid_file.js";
import { Reloader } from "./ops/reloader.js";
import { warmUpAndLog } from "./ops/warm_up.js";
import { Gatekeeper } from "./pipeline/gatekeeper.js";
import type { RevocationDeps } from "./revocation/checker.js";
import { registerTrustedListMetrics } from "./trust/trusted_lists/metrics.js";
import { startTrustedLists, type TrustedListsRuntime } from "./trust/trusted_lists/runtime.js";

export interface ServiceOptions {
  readonly configFile: string;
  /** Injected clock (tests); defaults to the system clock. */
  readonly now?: () => Date;
  /** Where the log goes (tests); defaults to stdout. */
  readonly logDestination?: DestinationStream;
  readonly revocationDeps?: Omit<RevocationDeps, "logger" | "onEvent">;
  /** Watch the config files for changes (default true). */
  readonly watchFiles?: boolean;
}

export interface RunningService {
  readonly grpcPort: number;
  /** The HTTP authorization listener's port, when `http.enabled`. */
  readonly httpPort: number | undefined;
  readonly opsPort: number | undefined;
  readonly logger: Logger;
  readonly gatekeeper: Gatekeeper;
  readonly metrics: GatekeeperMetrics;
  readonly expiry: ExpiryWatch;
  reload(trigger: string): Promise<boolean>;
  reopenAudit(): void;
  /** Drain in-flight Checks (up to the configured grace), then close everything. */
  stop(): Promise<void>;
}

/** Wires config -> snapshot -> gatekeeper -> servers. main.ts adds argv and signals; tests call this directly. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const now = options.now ?? (() => new Date());
  const metrics = new GatekeeperMetrics({ processMetrics: true, build: buildInfo() });
  let logger: Logger | undefined;
  const deps = {
    now,
    onCertificateLookup: (hit: boolean) => metrics.certificateCache(hit),
    revocationDeps: {
      ...options.revocationDeps,
      onEvent: metrics.revocation.bind(metrics),
      logger: {
        warn: (o: object, m: string) => logger?.warn(o, m),
        info: (o: object, m: string) => logger?.info(o, m),
      },
    },
  };
  const lists = await trustedListsOf(options.configFile, now, () => logger);
  // The reloader gets the same deps: a reload keeps list-based trust.
  const snapshotDeps = lists ? { ...deps, chainVerifier: lists.verifier } : deps;
  const initial = loadSnapshot(options.configFile, snapshotDeps);
  const config = initial.config;
  logger = createLogger(config.log.level, options.logDestination);
  const log = logger;
  const expiry = new ExpiryWatch({
    maxCertificates: config.metrics.maxTppSeries,
    warn: (warning) =>
      log.warn({ ...warning }, `TPP certificate expires within ${warning.thresholdDays} days`),
    gauge: (tppId, sha256, notAfterSeconds) => metrics.tppExpiry.labels(tppId, sha256).set(notAfterSeconds),
    forget: (tppId, sha256, lastOfTpp) => metrics.forgetTpp(tppId, sha256, lastOfTpp),
  });
  const audit =
    config.audit.file === undefined ? undefined : AuditLog.open(config.audit.file, config.file, log);
  const pidFile = config.pidFile === undefined ? undefined : PidFile.write(config.file, config.pidFile);
  const gatekeeper = new Gatekeeper(
    initial,
    decisionRecorder({ logger: log, metrics, expiry, ...(audit ? { audit } : {}) }),
  );
  const reloader = new Reloader({
    configFile: options.configFile,
    deps: snapshotDeps,
    gatekeeper,
    initial,
    logger: log,
    onResult: (result, snapshot) => {
      metrics.reload(result, now());
      if (result === "success") updateTrustExpiry(metrics, snapshot, now());
    },
  });
  metrics.gaugeFrom(
    "gatekeeper_certificate_cache_entries",
    "Certificates in the parse + chain cache.",
    () => reloader.snapshot.gate.certificates.size,
  );
  metrics.reload("success", now());
  updateTrustExpiry(metrics, initial, now());
  if (lists) registerTrustedListMetrics(metrics.registry, lists.store);

  // Before any port listens: no Check and no readiness probe meets a cold process (issue 14).
  await warmUpAndLog(options.revocationDeps?.fetch ?? globalThis.fetch, log);
  metrics.setMode(config.mode === "dry-run", config.revocation.enabled);
  const serverLog = countingInternalErrors(log, metrics);
  routeGrpcLogs(log);
  const bind =
    (section: ListenTarget["section"], on: { host: string; port: number }) =>
    (error: unknown): never => {
      throw listenFailure({ configFile: config.file, section, ...on }, error);
    };
  const grpcServer = new AuthorizationServer({ gatekeeper, logger: serverLog });
  const httpServer = config.http.enabled
    ? new HttpAuthorizationServer({ gatekeeper, logger: serverLog })
    : undefined;
  let draining = false;
  const ops = config.metrics.enabled
    ? new OpsServer({
        registry: metrics.registry,
        ready: () => !draining && (lists?.store.view.ready ?? true),
      })
    : undefined;
  // What stop() and a failed start both release: the listeners drain first, then what they used.
  const release = async (graceMs: number): Promise<void> => {
    lists?.stop();
    reloader.close();
    await Promise.all([grpcServer.stop(graceMs), httpServer?.stop(graceMs)]);
    await reloader.snapshot.gate.revocation.close();
    await ops?.close();
    audit?.close();
    pidFile?.remove();
  };
  let grpcPort = 0;
  let httpPort: number | undefined;
  let opsPort: number | undefined;
  try {
    grpcPort = await grpcServer
      .listen(config.listen.host, config.listen.port)
      .catch(bind("listen", config.listen));
    httpPort = await httpServer?.listen(config.http.host, config.http.port).catch(bind("http", config.http));
    opsPort = await ops
      ?.listen(config.metrics.host, config.metrics.port)
      .catch(bind("metrics", config.metrics));
  } catch (error) {
    // One listener failed: close the others and what started before them, so the process can exit.
    await release(0);
    throw error;
  }
  if (options.watchFiles ?? true) reloader.watch();
  const sweep = setInterval(() => {
    expiry.sweep(now().getTime());
    updateTrustExpiry(metrics, reloader.snapshot, now());
  }, config.metrics.expirySweepSeconds * 1000);
  sweep.unref();
  log.info(
    { host: config.listen.host, port: grpcPort, httpPort, opsPort, config: options.configFile },
    "ext_authz listening",
  );
  await logStartSummary(log, initial, now());

  return {
    grpcPort,
    httpPort,
    opsPort,
    logger: log,
    gatekeeper,
    metrics,
    expiry,
    reload: (trigger) => reloader.reload(trigger),
    reopenAudit: () => audit?.reopen(),
    stop: async () => {
      draining = true;
      clearInterval(sweep);
      await release(reloader.snapshot.config.shutdown.graceSeconds * 1000);
    },
  };
}

/** One line of facts for on-call, then one loud line per setting that admits more than it should. */
async function logStartSummary(log: Logger, snapshot: LoadedSnapshot, at: Date): Promise<void> {
  log.info({ ...startSummary(snapshot) }, "configuration in force");
  for (const finding of await findings(snapshot, at)) log.warn({ finding: finding.kind }, finding.message);
}

/**
 * grpc-js writes its own diagnostics to stderr; they go to the service log at debug instead, so a bind
 * failure is the one config-error line and nothing else. What grpc-js reports to a call reaches us anyway.
 */
function routeGrpcLogs(log: Logger): void {
  grpc.setLogger({
    error: (...args: unknown[]) => log.debug({ grpc: args.map(String).join(" ") }, "grpc-js"),
  });
}

/** The package version, and the revision the image was built from (GATEKEEPER_REVISION, set by the build). */
function buildInfo(): BuildInfo {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version?: unknown };
  return {
    version: typeof pkg.version === "string" ? pkg.version : "unknown",
    revision: process.env.GATEKEEPER_REVISION ?? "unknown",
  };
}

/**
 * The servers log a Check that failed with a bug at error level (and answer INTERNAL / 500); a child
 * logger whose `error` also counts it gives gatekeeper_internal_errors_total without touching them.
 */
function countingInternalErrors(log: Logger, metrics: GatekeeperMetrics): Logger {
  const child = log.child({});
  const error = child.error.bind(child);
  child.error = ((...args: Parameters<Logger["error"]>) => {
    metrics.internalError();
    error(...args);
  }) as Logger["error"];
  return child;
}

/** `trust.trustedLists` is read once at start; a reload keeps the running lists (docs/trusted-lists.md). */
async function trustedListsOf(
  configFile: string,
  now: () => Date,
  logger: () => Logger | undefined,
): Promise<TrustedListsRuntime | undefined> {
  const config = loadConfig(configFile).trust.trustedLists;
  if (config === undefined) return undefined;
  return startTrustedLists(configFile, config, {
    now,
    log: {
      info: (o, m) => logger()?.info(o, m),
      warn: (o, m) => logger()?.warn(o, m),
    },
  });
}

function updateTrustExpiry(metrics: GatekeeperMetrics, snapshot: LoadedSnapshot, _now: Date): void {
  metrics.trustExpiry.reset();
  for (const [kind, certs] of [
    ["anchor", snapshot.trust.anchors],
    ["intermediate", snapshot.trust.intermediates],
  ] as const) {
    for (const cert of certs) {
      metrics.trustExpiry.labels(kind, cert.subject).set(Math.floor(cert.notAfter.getTime() / 1000));
    }
  }
}
