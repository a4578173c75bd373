import { ConfigError } from "../foundation/config_error.js";
import { parseCommand, USAGE } from "./args.js";
import type { InputSources } from "./certificate_input.js";
import { runCheckConfig } from "./check_config.js";
import { type CommandOutput, EXIT_GOOD, EXIT_USAGE, usageError } from "./command_output.js";
import { runInspect } from "./inspect.js";
import { runTrustedLists } from "./trusted_lists.js";

/** What a command may read from the world besides its arguments and files: the clock and stdin. */
export interface CommandEnvironment extends InputSources {
  readonly now: () => Date;
  /** Show the stack of an internal error (QWAC_DEBUG=1). */
  readonly debug: boolean;
}

/**
 * `qwac` without the process around it: the entry point (qwac.ts) writes what this returns, tests call it
 * in the test's own process. It never throws: bad input is a usage or configuration error, anything else
 * an internal error, each one line.
 */
export async function runQwacCommand(
  argv: readonly string[],
  env: CommandEnvironment,
): Promise<CommandOutput> {
  try {
    return await dispatch(argv, env);
  } catch (error) {
    return failure(error, env.debug);
  }
}

async function dispatch(argv: readonly string[], env: CommandEnvironment): Promise<CommandOutput> {
  const parsed = parseCommand(argv);
  if (!parsed.ok) {
    const more = argv.length === 0 ? `\n${USAGE}` : '(run "qwac --help" for usage)\n';
    return usageError(`${parsed.message}\n${more}`.trimEnd());
  }
  const command = parsed.command;
  switch (command.kind) {
    case "help":
      return { stdout: USAGE, stderr: "", exitCode: EXIT_GOOD };
    case "inspect":
      return runInspect(command, env);
    case "check-config":
      return runCheckConfig(command, env.now);
    case "trusted-lists":
      return runTrustedLists(command);
  }
}

/** Bad input is the user's to fix: one clear line, never a stack trace (QWAC_DEBUG=1 shows it for bugs). */
function failure(error: unknown, debug: boolean): CommandOutput {
  if (error instanceof ConfigError) {
    // The same line the service prints at start (src/main.ts), so the two can be grepped alike.
    return { stdout: "", stderr: `config error: ${error.message}\n`, exitCode: EXIT_USAGE };
  }
  const text = debug && error instanceof Error ? error.stack : String(error);
  return { stdout: "", stderr: `qwac: internal error: ${text}\n`, exitCode: EXIT_USAGE };
}
