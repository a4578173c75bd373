import "reflect-metadata";
import { join } from "node:path";
import { writeDemoLists } from "./demo/demo_lists.js";
import { ensureDemoPki } from "./demo/demo_pki.js";
import { ConfigError } from "./foundation/config_error.js";
import { PROJECT_ROOT } from "./foundation/project_root.js";
import { startService } from "./service.js";

/** Process wiring only: argv -> service -> signals. */
const DEMO_CONFIG = join(PROJECT_ROOT, "config", "demo.yaml");

async function main(): Promise<void> {
  const configFile = process.argv[2] ?? process.env.GATEKEEPER_CONFIG ?? DEMO_CONFIG;
  if (configFile === DEMO_CONFIG) {
    await ensureDemoPki();
    await writeDemoLists();
  }
  const service = await startService({ configFile });
  const { logger } = service;

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining in-flight checks");
    void service.stop().then(() => {
      logger.info("stopped");
      // The log destination is buffered: exit once the last lines are written.
      logger.flush(() => process.exit(0));
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => void service.reload("SIGHUP"));
  process.on("SIGUSR2", () => service.reopenAudit());
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
