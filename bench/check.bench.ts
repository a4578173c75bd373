/**
 * npm run bench: the service against a bare always-allow grpc-js server on the same protos (the ceiling),
 * driven by the same grpc-js client over loopback, each server in its own process logging as in
 * production (decision log to /dev/null). Sections:
 *   1. warm path (certificate cached), revocation off, several concurrency levels;
 *   2. revocation on: cold path (first Check of a certificate: parse, chain, OCSP over loopback) and warm;
 *   3. the core alone, in process (what the service adds apart from gRPC).
 * Prints tables and writes them to bench/results.md. No assertions: numbers are for people.
 */
import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ensureDemoPki } from "../src/demo/demo_pki.js";
import { LOADER_OPTIONS } from "../src/envoy/protos.js";
import { coreWarmPath } from "./core.bench.js";
import { h2loadAvailable, runH2load } from "./h2load.js";
import { type LoadResult, runLoad } from "./load.js";
import { startBenchRevocationLab } from "./revocation_lab.js";

const ROOT = join(import.meta.dirname, "..");
const LEVELS = [1, 4, 16, 64];
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? "4") * 1000;
const COLD_CERTS = Number(process.env.BENCH_COLD_CERTS ?? "200");

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "gk-bench-"));
  const children: ChildProcess[] = [];
  const report: string[] = [];
  const out = (text: string): void => {
    process.stdout.write(`${text}\n`);
    report.push(text);
  };
  try {
    out(
      `# Benchmark results\n\n${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}.`,
    );
    out(
      `Load: grpc-js client, closed loop, ${DURATION_MS / 1000} s per level, 4 HTTP/2 channels; servers in their own processes.\n`,
    );

    await ensureDemoPki(join(dir, "pki"));
    const config = writeConfig(dir, "warm", await freePort(), [
      "trust: { anchors: pki/root.pem, intermediates: pki/intermediates.pem }",
      "revocation: { enabled: false }",
    ]);
    const service = await startChild([join(ROOT, "src/main.ts"), config.file], config.port, children);
    const barePort = await freePort();
    const bare = await startChild([join(ROOT, "bench/bare_server.ts"), `${barePort}`], barePort, children);
    const requests = ["tpp-ai", "tpp-all"].map((tpp) =>
      checkRequest(readFileSync(join(dir, "pki", `${tpp}.pem`), "utf8")),
    );
    await runLoad(`127.0.0.1:${service}`, requests, 8, 1000); // warm the caches and the JIT
    await runLoad(`127.0.0.1:${bare}`, requests, 8, 1000);
    out("## 1. Warm path (certificate cached, revocation off)\n");
    out(TABLE_HEAD);
    for (const level of LEVELS) {
      const ceiling = await runLoad(`127.0.0.1:${bare}`, requests, level, DURATION_MS);
      const real = await runLoad(`127.0.0.1:${service}`, requests, level, DURATION_MS);
      out(row(level, real, ceiling));
    }

    if (h2loadAvailable()) {
      out("\n## 1b. Warm path with h2load as the load generator (C; less CPU taken from the server)\n");
      out(TABLE_HEAD);
      const message = encodeRequest(requests[0]);
      for (const level of [1, 4, 16, 64]) {
        const ceiling = runH2load(barePort, message, level, DURATION_MS / 1000);
        const real = runH2load(config.port, message, level, DURATION_MS / 1000);
        out(row(level, real, ceiling));
      }
    }

    out(`\n## 2. Revocation on (OCSP over loopback, ${COLD_CERTS} distinct QWACs)\n`);
    const lab = await startBenchRevocationLab(COLD_CERTS);
    try {
      writeFileSync(join(dir, "bench-ca.pem"), lab.caPem);
      const revConfig = writeConfig(dir, "revocation", await freePort(), [
        "trust: { anchors: bench-ca.pem }",
        "revocation: { enabled: true, failMode: hard }",
      ]);
      const revService = await startChild(
        [join(ROOT, "src/main.ts"), revConfig.file],
        revConfig.port,
        children,
      );
      const revRequests = lab.qwacs.map(checkRequest);
      const cold = await runSequential(`127.0.0.1:${revService}`, revRequests);
      out(
        `Cold path (first Check of each certificate: decode, parse, chain by signature, OCSP request + response verification), sequential: p50 ${cold.p50us} µs, p99 ${cold.p99us} µs, max ${cold.maxUs} µs; ${cold.errors} errors; ${cold.allowed}/${revRequests.length} allowed; responder saw ${lab.ocspHits()} requests.\n`,
      );
      out(TABLE_HEAD);
      for (const level of [4, 16]) {
        const ceiling = await runLoad(`127.0.0.1:${bare}`, revRequests, level, DURATION_MS);
        const real = await runLoad(`127.0.0.1:${revService}`, revRequests, level, DURATION_MS);
        out(row(level, real, ceiling));
      }
      out(`\nOCSP requests after the warm runs: ${lab.ocspHits()} (answers cached until nextUpdate).`);
    } finally {
      await lab.close();
    }

    out("\n## 3. The core alone, in process\n");
    const core = await coreWarmPath(100_000);
    out(
      `toCheckInput -> authorize -> toCheckResponse -> decision log line, warm: ${core.usPerCheck} µs per Check (${core.checksPerSecond} Checks/s on one core).`,
    );
    writeFileSync(join(ROOT, "bench", "results.md"), `${report.join("\n")}\n`);
    process.stdout.write("\n(written to bench/results.md)\n");
  } finally {
    for (const child of children) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

const TABLE_HEAD = [
  "| concurrency | service req/s | bare req/s | ratio | service p50 / p99 µs | bare p50 / p99 µs | added p50 / p99 µs |",
  "|---:|---:|---:|---:|---:|---:|---:|",
].join("\n");

function row(level: number, real: LoadResult, ceiling: LoadResult): string {
  const ratio = ((real.rps / ceiling.rps) * 100).toFixed(0);
  const errors = real.errors + ceiling.errors > 0 ? ` (errors ${real.errors}/${ceiling.errors})` : "";
  return `| ${level} | ${real.rps} | ${ceiling.rps} | ${ratio}% | ${real.p50us} / ${real.p99us} | ${ceiling.p50us} / ${ceiling.p99us} | ${real.p50us - ceiling.p50us} / ${real.p99us - ceiling.p99us}${errors} |`;
}

function writeConfig(
  dir: string,
  name: string,
  port: number,
  lines: string[],
): { file: string; port: number } {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `listen: { host: 127.0.0.1, port: ${port} }`,
      `policy: ${join(ROOT, "policies/berlin-group.yaml")}`,
      "metrics: { port: 0 }",
      "log: { level: info }",
      ...lines,
    ].join("\n"),
  );
  return { file, port };
}

function checkRequest(pem: string): unknown {
  const path = "/v1/accounts/3dc3d5b3/transactions?bookingStatus=booked";
  return {
    attributes: {
      source: {
        address: { socket_address: { address: "127.0.0.1", port_value: 40000 } },
        certificate: encodeURIComponent(pem),
      },
      request: {
        http: {
          id: "bench",
          method: "GET",
          path,
          host: "api.bank.example",
          headers: {
            ":method": "GET",
            ":path": path,
            ":authority": "api.bank.example",
            "x-request-id": "8f0d5b0a-1c1e-4a8e-9a51-3f1f2f4f5d6e",
            "user-agent": "bench",
            "x-tpp-roles": "spoofed",
          },
        },
      },
    },
  };
}

/** One Check at a time, each certificate once: the first-sight latency a new TPP sees. */
async function runSequential(address: string, requests: readonly unknown[]) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const latencies: number[] = [];
  let errors = 0;
  let allowed = 0;
  for (const request of requests) {
    const started = process.hrtime.bigint();
    const ok = await new Promise<boolean>((resolve) =>
      client.makeUnaryRequest(
        "/envoy.service.auth.v3.Authorization/Check",
        (value: Buffer) => value,
        (value: Buffer) => value,
        encodeRequest(request),
        (error, response) => {
          if (error !== null || response === undefined) errors++;
          resolve(response !== undefined && isAllow(response));
        },
      ),
    );
    latencies.push(Number(process.hrtime.bigint() - started) / 1000);
    if (ok) allowed++;
  }
  client.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return { p50us: at(0.5), p99us: at(0.99), maxUs: at(1), errors, allowed };
}

const TYPES = grpc.loadPackageDefinition(
  protoLoader.loadSync("envoy/service/auth/v3/external_auth.proto", LOADER_OPTIONS),
) as unknown as {
  envoy: {
    service: {
      auth: {
        v3: {
          Authorization: grpc.ServiceClientConstructor;
        };
      };
    };
  };
};
const CHECK = TYPES.envoy.service.auth.v3.Authorization.service.Check!;

function encodeRequest(request: unknown): Buffer {
  return CHECK.requestSerialize(request);
}

function isAllow(response: Buffer): boolean {
  const decoded = CHECK.responseDeserialize(response) as { status?: { code?: number } };
  return (decoded.status?.code ?? 0) === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a server process with its output (the decision log) going to /dev/null, as to a log shipper. */
async function startChild(args: string[], port: number, children: ChildProcess[]): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    stdio: ["ignore", "ignore", "inherit"],
    cwd: ROOT,
  });
  children.push(child);
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 20_000, (error) =>
      error === undefined || error === null ? resolve() : reject(error),
    ),
  );
  client.close();
  return port;
}

void main();
