import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { Readable } from "node:stream";
import { runQwacCommand } from "../../src/cli/command.js";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";

/** `qwac` as an operator runs it: its own node process, through tsx instead of a build. */
export const CLI = join(PROJECT_ROOT, "src", "cli", "bin.ts");

export interface QwacRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Far above a normal run (about a second); only a hung CLI reaches it, and it is then killed. */
const RUN_LIMIT_MS = 25_000;

const running = new Set<ChildProcess>();

/**
 * `qwac` run in the test's own process: the same command, arguments, stdin and output an operator gets,
 * without a node start per call. `spawnQwac` keeps the real process for what only it shows (exit status,
 * the streams, stdin from a pipe).
 */
export async function runQwac(args: readonly string[], stdin?: Buffer | string): Promise<QwacRun> {
  const output = await runQwacCommand(args, {
    now: () => new Date(),
    stdin: Readable.from(stdin === undefined ? [] : [Buffer.from(stdin)]),
    stdinIsTerminal: false,
    debug: false,
  });
  return { code: output.exitCode, stdout: output.stdout, stderr: output.stderr };
}

export function spawnQwac(args: readonly string[], stdin?: Buffer | string): Promise<QwacRun> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: PROJECT_ROOT,
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  running.add(child);
  const killer = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin?.end(stdin);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(killer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** For afterAll: no CLI process outlives its test file. */
export function stopRunningQwac(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** Parses --json output, failing the test with the CLI's own words when it is not JSON. */
export function json<T = Record<string, unknown>>(run: QwacRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** A stack trace line as node prints it; never shown to a user for bad input. */
export const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;
