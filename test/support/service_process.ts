import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";

/** A service started as its own process, with its JSON log lines parsed as they arrive. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `src/main.ts` as its own process, as `npm start` would (through tsx instead of a build).
 * `nodeArgs` go before the script (e.g. a heap limit), `serviceArgs` after the config file (flags).
 */
export function startServiceProcess(
  configFile: string,
  nodeArgs: readonly string[] = [],
  serviceArgs: readonly string[] = [],
): ServiceProcess {
  const args = [
    ...nodeArgs,
    "--import",
    "tsx",
    join(PROJECT_ROOT, "src/main.ts"),
    configFile,
    ...serviceArgs,
  ];
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    for (const line of complete) if (line.trim() !== "") lines.push(JSON.parse(line));
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}
