import "reflect-metadata";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PORT_OVERRIDES } from "./config/config.js";
import { writeDemoLists } from "./demo/demo_lists.js";
import { ensureDemoPki } from "./demo/demo_pki.js";
import { ConfigError } from "./foundation/config_error.js";
import { PROJECT_ROOT } from "./foundation/project_root.js";
import { startService } from "./service.js";

/** Process wiring only: argv -> service -> signals. */
const DEMO_CONFIG = join(PROJECT_ROOT, "config", "demo.yaml");

const USAGE =
  "usage: gatekeeper [CONFIG] [--config FILE] [--listen-port N] [--http-port N] [--metrics-port N]\n" +
  "       (CONFIG defaults to $GATEKEEPER_CONFIG, else the bundled demo; a port flag overrides the file)\n";

/**
 * The flags are the GATEKEEPER_*_PORT overrides spelled for a command line (OPA-Envoy's `--addr`):
 * `--listen-port` for `listen.port`, and so on, so a listener with an override has its flag too.
 */
const PORT_FLAGS: readonly (readonly [flag: string, variable: string])[] = Object.entries(PORT_OVERRIDES).map(
  ([variable, [section]]) => [`${section}-port`, variable] as const,
);

function configFileOf(argv: readonly string[]): string {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string" },
      ...Object.fromEntries(PORT_FLAGS.map(([flag]) => [flag, { type: "string" as const }])),
    },
  });
  if (positionals.length > 1 || (positionals.length === 1 && values.config !== undefined))
    throw new Error("name one config file");
  const given: Readonly<Record<string, unknown>> = values;
  for (const [flag, variable] of PORT_FLAGS) {
    const value = given[flag];
    if (typeof value === "string") process.env[variable] = value;
  }
  return values.config ?? positionals[0] ?? process.env.GATEKEEPER_CONFIG ?? DEMO_CONFIG;
}

async function main(): Promise<void> {
  let configFile: string;
  try {
    configFile = configFileOf(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`gatekeeper: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
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
