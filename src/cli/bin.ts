#!/usr/bin/env node
// @peculiar/x509 resolves its ASN.1 converters through tsyringe, which needs the metadata polyfill first.
import "reflect-metadata";
import { runQwacCommand } from "./command.js";

/** `qwac`: inspect a PSD2 certificate, or check a service config before deploying it. See docs/cli.md. */
function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => (text === "" ? resolve() : stream.write(text, () => resolve())));
}

const output = await runQwacCommand(process.argv.slice(2), {
  now: () => new Date(),
  stdin: process.stdin,
  stdinIsTerminal: process.stdin.isTTY === true,
  debug: process.env.QWAC_DEBUG === "1",
});
await write(process.stdout, output.stdout);
await write(process.stderr, output.stderr);
// Exit explicitly: a revocation fetch the checker stopped waiting for must not hold the process open.
process.exit(output.exitCode);
