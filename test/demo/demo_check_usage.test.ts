import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";

/** `npm run demo:check` with arguments it cannot use: a usage line and exit 2, never a stack or the tour. */

const run = promisify(execFile);
const TSX = join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
const SCRIPT = join(PROJECT_ROOT, "scripts", "demo-check.ts");

async function demoCheck(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Port 1 on loopback: had an argument slipped through, the script would fail to connect, not hang.
  const env = { ...process.env, GATEKEEPER_LISTEN_PORT: "1" };
  return run(TSX, [SCRIPT, ...args], { env, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe("demo:check refuses arguments it cannot use", () => {
  it.each([
    [["tpp-nope", "GET", "/v1/accounts"], 'unknown demo TPP "tpp-nope": one of none, tpp-ai'],
    [["tpp-pi"], "expected TPP METHOD PATH, got 1 argument(s)"],
  ])("%j", async (args, message) => {
    const result = await demoCheck(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`demo:check: ${message}`);
    expect(result.stderr).toContain("usage: npm run demo:check");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
