import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** h2load (Debian nghttp2-client) is a C load generator: far less CPU per request than a grpc-js client. */
export function h2loadAvailable(): boolean {
  return spawnSync("h2load", ["--version"]).status === 0;
}

export interface H2loadRun {
  /** Where to send: the server's loopback port. */
  readonly port: number;
  /** One encoded CheckRequest, sent as every request. */
  readonly message: Buffer;
  /** Closed loop: this many requests outstanding at all times. */
  readonly concurrency: number;
  readonly seconds: number;
  /** Pin h2load to this CPU (taskset), away from the server under test. */
  readonly cpu?: number;
}

export interface Sample {
  readonly rps: number;
  readonly errors: number;
  /** Per-request latency in µs (sorted). */
  readonly latenciesUs: readonly number[];
}

const CONNECTIONS = 4;

/**
 * Unary gRPC calls with h2load: the request file is one gRPC message (5-byte frame header + protobuf), sent
 * as POST with the gRPC content type.
 */
export function runH2load(run: H2loadRun): Sample {
  const dir = mkdtempSync(join(tmpdir(), "gk-h2load-"));
  try {
    const frame = Buffer.alloc(5);
    frame.writeUInt32BE(run.message.length, 1);
    const data = join(dir, "request.bin");
    writeFileSync(data, Buffer.concat([frame, run.message]));
    const connections = Math.min(CONNECTIONS, run.concurrency);
    const streams = Math.max(1, Math.round(run.concurrency / connections));
    return h2load(dir, run, [
      ...["-c", String(connections), "-m", String(streams), "-d", data],
      ...["-H", "content-type: application/grpc", "-H", "te: trailers"],
      `http://127.0.0.1:${run.port}/envoy.service.auth.v3.Authorization/Check`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Http1Run {
  readonly port: number;
  /** Request target, e.g. `/_gatekeeper/authz`. */
  readonly path: string;
  /** Sent with every request, as `name: value`. */
  readonly headers: readonly (readonly [string, string])[];
  /** Closed loop: this many requests outstanding at all times. */
  readonly concurrency: number;
  /** Keep-alive connections at most; above that, requests are pipelined on them. */
  readonly maxConnections: number;
  readonly seconds: number;
  readonly cpu?: number;
}

/**
 * GET over HTTP/1.1 keep-alive connections (`--h1`), one request in flight per connection up to
 * `maxConnections` connections, pipelined beyond that (h2load's `-m` for HTTP/1.1).
 */
export function runH2loadHttp1(run: Http1Run): Sample {
  const dir = mkdtempSync(join(tmpdir(), "gk-h2load-"));
  try {
    const connections = Math.min(run.maxConnections, run.concurrency);
    const pipelined = Math.max(1, Math.round(run.concurrency / connections));
    const headers = run.headers.flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
    return h2load(dir, run, [
      ...["--h1", "-c", String(connections), "-m", String(pipelined), ...headers],
      `http://127.0.0.1:${run.port}${run.path}`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Throughput and failures are h2load's own figures (after a 0.5 s warm-up); latencies come from its
 * per-request log (rows with status 0 straddled the warm-up: not counted).
 */
function h2load(dir: string, run: { seconds: number; cpu?: number }, args: readonly string[]): Sample {
  const log = join(dir, "log.tsv");
  const all = ["-D", String(run.seconds), "--warm-up-time=500ms", "--log-file", log, ...args];
  const command =
    run.cpu === undefined ? ["h2load", ...all] : ["taskset", "-c", String(run.cpu), "h2load", ...all];
  const result = spawnSync(command[0]!, command.slice(1), { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`h2load failed: ${result.stderr}`);
  const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(result.stdout)?.[1] ?? "0");
  const failed = /(\d+) failed, (\d+) errored, (\d+) timeout/.exec(result.stdout);
  const rows = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split("\t"))
    .filter((row) => row[1] !== "0");
  const errors = rows.filter((row) => row[1] !== "200").length;
  return {
    rps,
    errors: errors + (failed === null ? 0 : Number(failed[1]) + Number(failed[2]) + Number(failed[3])),
    latenciesUs: rows.map((row) => Number(row[2])).sort((a, b) => a - b),
  };
}
