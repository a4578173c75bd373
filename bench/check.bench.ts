/**
 * npm run bench: warm-path Check throughput and latency over loopback, the real service against a bare
 * always-allow grpc-js server on the same protos (the ceiling), driven by the same grpc-js client.
 * The service runs in its own process, logging at info to /dev/null as it would in production.
 */
import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ensureDemoPki } from "../src/demo/demo_pki.js";
import { type LoadResult, runLoad } from "./load.js";

const ROOT = join(import.meta.dirname, "..");
const LEVELS = [1, 8, 32, 128];
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? "4") * 1000;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "gk-bench-"));
  const children: ChildProcess[] = [];
  try {
    await ensureDemoPki(join(dir, "pki"));
    const config = join(dir, "config.yaml");
    const servicePort = await freePort();
    writeFileSync(
      config,
      [
        `listen: { host: 127.0.0.1, port: ${servicePort} }`,
        "trust: { anchors: pki/root.pem, intermediates: pki/intermediates.pem }",
        `policy: ${join(ROOT, "policies/berlin-group.yaml")}`,
        "log: { level: info }",
        "metrics: { port: 0 }",
        "revocation: { enabled: false }",
      ].join("\n"),
    );
    const service = await startChild(
      ["--import", "tsx", join(ROOT, "src/main.ts"), config],
      servicePort,
      children,
    );
    const barePort = await freePort();
    const bareArgs = ["--import", "tsx", join(ROOT, "bench/bare_server.ts"), `${barePort}`];
    const bare = await startChild(bareArgs, barePort, children);
    const requests = ["tpp-ai", "tpp-all"].map((tpp) => warmRequest(join(dir, "pki", `${tpp}.pem`)));
    await runLoad(`127.0.0.1:${service}`, requests, 8, 1000); // warm the caches and the JIT
    await runLoad(`127.0.0.1:${bare}`, requests, 8, 1000);
    const rows: string[] = [];
    for (const level of LEVELS) {
      const ceiling = await runLoad(`127.0.0.1:${bare}`, requests, level, DURATION_MS);
      const real = await runLoad(`127.0.0.1:${service}`, requests, level, DURATION_MS);
      rows.push(row(level, real, ceiling));
    }
    const table = [
      "| concurrency | service req/s | bare req/s | ratio | service p50 / p99 µs | bare p50 / p99 µs | added p50 / p99 µs |",
      "|---:|---:|---:|---:|---:|---:|---:|",
      ...rows,
    ].join("\n");
    process.stdout.write(
      `\nWarm path (certificate cached), ${DURATION_MS / 1000}s per level, Node ${process.version}\n\n${table}\n`,
    );
  } finally {
    for (const child of children) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(level: number, real: LoadResult, ceiling: LoadResult): string {
  const ratio = ((real.rps / ceiling.rps) * 100).toFixed(0);
  const errors = real.errors + ceiling.errors > 0 ? ` (errors ${real.errors}/${ceiling.errors})` : "";
  return `| ${level} | ${real.rps} | ${ceiling.rps} | ${ratio}% | ${real.p50us} / ${real.p99us} | ${ceiling.p50us} / ${ceiling.p99us} | ${real.p50us - ceiling.p50us} / ${real.p99us - ceiling.p99us}${errors} |`;
}

function warmRequest(pemFile: string): unknown {
  const pem = readFileSync(pemFile, "utf8");
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
          path: "/v1/accounts/3dc3d5b3/transactions?bookingStatus=booked",
          host: "api.bank.example",
          headers: {
            ":method": "GET",
            ":path": "/v1/accounts/3dc3d5b3/transactions?bookingStatus=booked",
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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a server process with its output (the decision log) going to /dev/null, as to a log shipper. */
async function startChild(args: string[], port: number, children: ChildProcess[]): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"], cwd: ROOT });
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
