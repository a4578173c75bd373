import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadResult } from "./load.js";

/** h2load (Debian nghttp2-client) is a C load generator: far less CPU per request than a grpc-js client. */
export function h2loadAvailable(): boolean {
  return spawnSync("h2load", ["--version"]).status === 0;
}

/**
 * Unary gRPC calls with h2load: the request file is one gRPC message (5-byte frame header + protobuf), sent
 * as POST with the gRPC content type; per-request latencies come from h2load's log file.
 */
export function runH2load(port: number, message: Buffer, concurrency: number, seconds: number): LoadResult {
  const dir = mkdtempSync(join(tmpdir(), "gk-h2load-"));
  try {
    const frame = Buffer.alloc(5);
    frame.writeUInt32BE(message.length, 1);
    const data = join(dir, "request.bin");
    writeFileSync(data, Buffer.concat([frame, message]));
    const log = join(dir, "log.tsv");
    const connections = Math.min(4, concurrency);
    const streams = Math.max(1, Math.round(concurrency / connections));
    const run = spawnSync(
      "h2load",
      [
        "-c",
        String(connections),
        "-m",
        String(streams),
        "-D",
        String(seconds),
        "--warm-up-time=1",
        "-d",
        data,
        "-H",
        "content-type: application/grpc",
        "-H",
        "te: trailers",
        "--log-file",
        log,
        `http://127.0.0.1:${port}/envoy.service.auth.v3.Authorization/Check`,
      ],
      { encoding: "utf8" },
    );
    if (run.status !== 0) throw new Error(`h2load failed: ${run.stderr}`);
    const rows = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("\t"));
    const latencies = rows.map((row) => Number(row[2])).sort((a, b) => a - b);
    const errors = rows.filter((row) => row[1] !== "200").length;
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return {
      concurrency: connections * streams,
      requests: latencies.length,
      errors,
      rps: Math.round(latencies.length / seconds),
      p50us: Math.round(at(0.5)),
      p99us: Math.round(at(0.99)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
