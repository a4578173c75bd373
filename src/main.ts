import "reflect-metadata";
import { join } from "node:path";
import { loadConfig } from "./config/config.js";
import { ConfigError } from "./config/config_error.js";
import { ensureDemoPki } from "./demo/demo_pki.js";
import { AuthorizationServer } from "./envoy/server.js";
import { buildGate } from "./gate_builder.js";
import { createLogger } from "./log.js";
import { PROJECT_ROOT } from "./project_root.js";

/** Process wiring only: config -> gate -> server -> signals. */
const DEMO_CONFIG = join(PROJECT_ROOT, "config", "demo.yaml");

async function main(): Promise<void> {
  const configFile = process.argv[2] ?? process.env.GATEKEEPER_CONFIG ?? DEMO_CONFIG;
  if (configFile === DEMO_CONFIG) await ensureDemoPki();
  const config = loadConfig(configFile);
  const logger = createLogger(config.log.level);
  const now = (): Date => new Date();
  const gate = buildGate(config, { now });
  const server = new AuthorizationServer({
    gate: () => gate,
    responses: () => ({ headerPrefix: config.headers.prefix, reasonHeader: config.headers.reason }),
    logger,
  });
  const port = await server.listen(config.listen.host, config.listen.port);
  logger.info({ host: config.listen.host, port, config: configFile }, "ext_authz listening");

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining in-flight checks");
    server
      .stop(config.shutdown.graceSeconds * 1000)
      .then(() => gate.revocation.close())
      .then(() => {
        logger.info("stopped");
        logger.flush();
        process.exit(0);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  // Configuration errors are the operator's to fix: one clear line, no stack trace.
  process.stderr.write(
    error instanceof ConfigError
      ? `config error: ${error.message}\n`
      : `${(error as Error).stack ?? String(error)}\n`,
  );
  process.exit(1);
});
