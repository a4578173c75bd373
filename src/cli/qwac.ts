#!/usr/bin/env node
// @peculiar/x509 resolves its ASN.1 converters through tsyringe, which needs the metadata polyfill first.
import "reflect-metadata";
import { ConfigError } from "../config/config_error.js";
import { parseCommand, USAGE } from "./args.js";
import { runCheckConfig } from "./check_config.js";
import { type CommandOutput, EXIT_GOOD, EXIT_USAGE, usageError } from "./command_output.js";
import { runInspect } from "./inspect.js";
import { runTrustedLists } from "./trusted_lists.js";

/** `qwac`: inspect a PSD2 certificate, or check a service config before deploying it. See docs/cli.md. */
async function run(argv: readonly string[]): Promise<CommandOutput> {
  const parsed = parseCommand(argv);
  if (!parsed.ok) {
    const more = argv.length === 0 ? `\n${USAGE}` : '(run "qwac --help" for usage)\n';
    return usageError(`${parsed.message}\n${more}`.trimEnd());
  }
  const command = parsed.command;
  const now = () => new Date();
  switch (command.kind) {
    case "help":
      return { stdout: USAGE, stderr: "", exitCode: EXIT_GOOD };
    case "inspect":
      return runInspect(command, {
        now,
        stdin: process.stdin,
        stdinIsTerminal: process.stdin.isTTY === true,
      });
    case "check-config":
      return runCheckConfig(command, now);
    case "trusted-lists":
      return runTrustedLists(command);
  }
}

/** Bad input is the user's to fix: one clear line, never a stack trace (QWAC_DEBUG=1 shows it for bugs). */
function failure(error: unknown): CommandOutput {
  if (error instanceof ConfigError) {
    // The same line the service prints at start (src/main.ts), so the two can be grepped alike.
    return { stdout: "", stderr: `config error: ${error.message}\n`, exitCode: EXIT_USAGE };
  }
  const text = process.env.QWAC_DEBUG === "1" && error instanceof Error ? error.stack : String(error);
  return { stdout: "", stderr: `qwac: internal error: ${text}\n`, exitCode: EXIT_USAGE };
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => (text === "" ? resolve() : stream.write(text, () => resolve())));
}

const output = await run(process.argv.slice(2)).catch(failure);
await write(process.stdout, output.stdout);
await write(process.stderr, output.stderr);
// Exit explicitly: a revocation fetch the checker stopped waiting for must not hold the process open.
process.exit(output.exitCode);
