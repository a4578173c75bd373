import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A real nginx for the end-to-end test: the `http {}` block documented in docs/proxies.md, wrapped in a
 * minimal nginx.conf under a private prefix, run in the foreground as a child of the test.
 */

export function nginxInstalled(): boolean {
  return spawnSync("nginx", ["-v"], { stdio: "ignore" }).status === 0;
}

/** Debian's libnginx-mod-http-js; the test configuration loads it itself with load_module. */
export const NJS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so";

export function njsInstalled(): boolean {
  return existsSync(NJS_MODULE);
}

const DOC = new URL("../../docs/proxies.md", import.meta.url);
const MARKER = "<!-- nginx-gatekeeper: this block is run by test/e2e/nginx.test.ts -->";
export const ACCESS_LOG_MARKER = "<!-- nginx-access-log: this block is run by test/e2e/nginx.test.ts -->";

/** The documented nginx block (or the one after `marker`), exactly as an operator copies it. */
export async function documentedNginxBlock(marker: string = MARKER): Promise<string> {
  const doc = await readFile(DOC, "utf8");
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`docs/proxies.md: the marker ${marker} is missing`);
  const match = /```nginx\n([\s\S]*?)```/.exec(doc.slice(at));
  if (match?.[1] === undefined) throw new Error("docs/proxies.md: no ```nginx block after the marker");
  return match[1];
}

/**
 * Replaces each documented value with the test's; each must occur exactly once, so an edit to the
 * documentation that the test no longer matches fails loudly instead of testing something else.
 */
export function substitute(
  text: string,
  replacements: Readonly<Record<string, string>>,
  what = "docs/proxies.md nginx block",
): string {
  let result = text;
  for (const [from, to] of Object.entries(replacements)) {
    const count = result.split(from).length - 1;
    if (count !== 1) throw new Error(`${what}: "${from}" found ${count} times, expected once`);
    result = result.replace(from, to);
  }
  return result;
}

export interface RunningNginx {
  readonly port: number;
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Dynamic modules to load (`load_module`), e.g. NJS_MODULE. */
  readonly modules?: readonly string[];
  /** Leave access logging to the block (default: `access_log off`). */
  readonly accessLog?: boolean;
  /** The worker's connection limit (default 64); a benchmark's clients and upstreams need more. */
  readonly workerConnections?: number;
  /** Pin nginx to this CPU (taskset), as the benchmarks pin what they measure. */
  readonly cpu?: number;
}

/**
 * Starts nginx in the foreground with `-p <dir> -c <conf>`, waits (bounded) until it accepts connections
 * on `port`, and returns a handle whose stop() ends it and waits for the exit.
 */
export async function startNginx(
  dir: string,
  httpBlock: string,
  port: number,
  options: NginxOptions = {},
): Promise<RunningNginx> {
  const temp = join(dir, "temp");
  await mkdir(temp, { recursive: true });
  const conf = join(dir, "nginx.conf");
  const errorLog = join(dir, "error.log");
  await writeFile(
    conf,
    wrap(httpBlock, temp, options.modules ?? [], options.workerConnections ?? 64, options.accessLog ?? false),
  );
  await checkConfig(dir, conf, errorLog);
  const pinned = options.cpu === undefined ? [] : ["taskset", "-c", String(options.cpu)];
  const command = [...pinned, "nginx"];
  const child = spawn(
    command[0]!,
    [
      ...command.slice(1),
      "-p",
      dir,
      "-c",
      conf,
      "-e",
      errorLog,
      "-g",
      `daemon off; pid ${join(dir, "nginx.pid")}; error_log ${errorLog} warn;`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const handle: RunningNginx = {
    port,
    errorLog: async () => readFile(errorLog, "utf8").catch(() => ""),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await Promise.race([exited, sleep(5_000).then(() => child.kill("SIGKILL"))]);
      await exited;
    },
  };
  try {
    await waitForPort(port, child);
  } catch (error) {
    await handle.stop();
    throw new Error(`${(error as Error).message}\n${stderr}\n${await handle.errorLog()}`);
  }
  return handle;
}

/**
 * As root, nginx's workers switch to an unprivileged user; they must be able to reach the prefix (the
 * test makes it 0755) and write its temp directories, which nginx creates for them.
 */
function wrap(
  httpBlock: string,
  temp: string,
  modules: readonly string[],
  workerConnections: number,
  accessLog: boolean,
): string {
  const asRoot = process.getuid?.() === 0;
  return [
    ...modules.map((module) => `load_module ${module};`),
    ...(asRoot ? ["user nobody nogroup;"] : []),
    "worker_processes 1;",
    `events { worker_connections ${workerConnections}; }`,
    "http {",
    ...(accessLog ? [] : ["    access_log off;"]),
    `    client_body_temp_path ${join(temp, "body")};`,
    `    proxy_temp_path ${join(temp, "proxy")};`,
    `    fastcgi_temp_path ${join(temp, "fastcgi")};`,
    `    uwsgi_temp_path ${join(temp, "uwsgi")};`,
    `    scgi_temp_path ${join(temp, "scgi")};`,
    httpBlock,
    "}",
    "",
  ].join("\n");
}

function checkConfig(dir: string, conf: string, errorLog: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      "nginx",
      ["-t", "-q", "-p", dir, "-c", conf, "-e", errorLog],
      { timeout: 10_000 },
      (error, _out, err) => (error ? reject(new Error(`nginx -t failed: ${err}`)) : resolve()),
    );
  });
}

/** Bounded: 200 attempts, 50 ms apart (about 10 s), and it stops as soon as nginx exits. */
async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error("nginx exited at start");
    if (await accepts(port)) return;
    await sleep(50);
  }
  throw new Error(`nginx did not listen on 127.0.0.1:${port}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface CurlResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** curl, silent but for errors, bounded in time. */
export function curlRaw(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "--max-time", "20", ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ exitCode: code, stdout, stderr });
    });
  });
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: string;
}

/** `curl -i` output: status line, headers (names lower-cased), body. */
export function parseCurlResponse(raw: string): HttpAnswer {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).split("\r\n");
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head[0] ?? "")?.[1]);
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status, headers, body: raw.slice(split + 4) };
}
