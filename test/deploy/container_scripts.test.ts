import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EKU_SERVER_AUTH, issueCertificate } from "../../src/demo/certificate_factory.js";
import { ensureDemoPki } from "../../src/demo/demo_pki.js";
import { freePort, listenOnLoopback } from "../support/ports.js";
import { at, ROOT, repoPath, run, tree } from "./support.js";

/** The scripts the containers run (health check, demo upstream, load generator), run here as processes. */

interface Started {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Resolves with the first stdout line that matches. */
  readonly line: (pattern: RegExp) => Promise<RegExpExecArray>;
}

const dir = mkdtempSync(join(tmpdir(), "gk-scripts-"));
const pkiDir = join(dir, "pki");
const started: Started[] = [];

function start(args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: "pipe" });
  let stdout = "";
  const waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = [];
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(stdout);
      if (match !== null) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const line = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const match = pattern.exec(stdout);
      if (match !== null) return resolve(match);
      waiters.push({ pattern, resolve });
      exited.then((code) => reject(new Error(`exited (${code}) before printing ${pattern}:\n${stdout}`)));
    });
  const process_ = { child, exited, line };
  started.push(process_);
  return process_;
}

async function stop(process_: Started): Promise<number | null> {
  if (process_.child.exitCode === null) process_.child.kill("SIGTERM");
  return process_.exited;
}

beforeAll(async () => {
  await ensureDemoPki(pkiDir);
});

afterAll(async () => {
  for (const process_ of started) {
    if (process_.child.exitCode === null && process_.child.signalCode === null) {
      process_.child.kill("SIGKILL");
      await process_.exited;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("deploy/healthcheck/grpc_health.mjs (the container health check)", () => {
  const check = (port: number) =>
    run(process.execPath, [repoPath("deploy/healthcheck/grpc_health.mjs")], {
      env: { ...process.env, GATEKEEPER_HEALTH_ADDRESS: `127.0.0.1:${port}` },
      timeoutMs: 15_000,
    });

  it("passes while the gatekeeper serves and fails once it has stopped", async () => {
    const config = join(dir, "config.yaml");
    writeFileSync(
      config,
      [
        "listen: { host: 127.0.0.1, port: 0 }",
        `trust: { anchors: ${join(pkiDir, "root.pem")}, intermediates: ${join(pkiDir, "intermediates.pem")} }`,
        `policy: ${repoPath("policies/berlin-group.yaml")}`,
        "shutdown: { graceSeconds: 1 }",
        "",
      ].join("\n"),
    );
    const service = start(["--import", "tsx", repoPath("src/main.ts"), config]);
    const port = Number((await service.line(/"port":(\d+)/))[1]);

    const healthy = await check(port);
    expect(healthy.code, healthy.stderr).toBe(0);

    expect(await stop(service)).toBe(0);
    const gone = await check(port);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/unhealthy/);
  });
});

describe("deploy/upstream/echo.mjs (the demo upstream)", () => {
  it("answers each request with its method, path and headers, and stops on SIGTERM", async () => {
    const echo = start([repoPath("deploy/upstream/echo.mjs")], { HOST: "127.0.0.1", PORT: "0" });
    const port = Number((await echo.line(/listening on 127\.0\.0\.1:(\d+)/))[1]);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);

    const response = await fetch(`http://127.0.0.1:${port}/v1/accounts?withBalance=true`, {
      method: "POST",
      headers: { "x-tpp-roles": "PSP_AI", "content-type": "application/json" },
      body: "{}",
    });
    const echoed = tree(await response.json(), "echo");
    expect(echoed.method).toBe("POST");
    expect(echoed.path).toBe("/v1/accounts?withBalance=true");
    expect(at(echoed, "headers", "x-tpp-roles")).toBe("PSP_AI");

    expect(await stop(echo)).toBe(0);
  });
});

describe("deploy/loadtest/loadtest.mjs (the load generator)", () => {
  let server: Http2SecureServer;
  let port = 0;
  const seen = new Map<string, Map<string, number>>();

  beforeAll(async () => {
    const ca = await issueCertificate({ subject: "CN=Load Test Server CA", isCa: true });
    const leaf = await issueCertificate({
      subject: "CN=localhost",
      issuer: ca,
      subjectAltNames: ["localhost"],
      extKeyUsage: [EKU_SERVER_AUTH],
    });
    writeFileSync(join(dir, "server-ca.pem"), ca.pem);
    // Stands in for Envoy + gatekeeper: asks for a client certificate, counts requests per certificate
    // subject and method, refuses the expired demo TPP the way the gatekeeper would.
    server = createSecureServer({
      cert: leaf.pem,
      key: leaf.keyPem,
      requestCert: true,
      rejectUnauthorized: false,
    });
    server.on("stream", (stream, headers) => {
      const peer = (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate();
      const subject = typeof peer?.subject?.CN === "string" ? peer.subject.CN : "none";
      const byMethod = seen.get(subject) ?? new Map<string, number>();
      const method = String(headers[":method"]);
      byMethod.set(method, (byMethod.get(method) ?? 0) + 1);
      seen.set(subject, byMethod);
      stream.resume();
      stream.on("end", () => {
        stream.respond({ ":status": subject.startsWith("tpp-expired") ? 401 : 200 });
        stream.end("{}");
      });
    });
    port = await listenOnLoopback(server);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("sends each TPP's requests with that TPP's certificate and reports every answer", async () => {
    const result = await run(
      process.execPath,
      [
        repoPath("deploy/loadtest/loadtest.mjs"),
        ...["--url", `https://127.0.0.1:${port}`, "--servername", "localhost"],
        ...["--ca", join(dir, "server-ca.pem"), "--pki", pkiDir],
        ...["--tpp", "tpp-ai=GET /v1/accounts", "--tpp", "tpp-pi=POST /v1/payments/sepa-credit-transfers"],
        ...["--tpp", "tpp-expired=GET /v1/accounts"],
        ...["--concurrency", "6", "--requests", "90", "--json"],
      ],
      { timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    const summary = tree(JSON.parse(result.stdout), "summary");
    expect(summary.responses).toBe(90);
    expect(summary.errors).toBe(0);

    const targets = (summary.targets as unknown[]).map((target) => tree(target, "target"));
    const statuses = (tpp: string) => tree(targets.find((t) => t.tpp === tpp)?.statuses, `${tpp} statuses`);
    const ai = Number(statuses("tpp-ai")["200"]);
    const pi = Number(statuses("tpp-pi")["200"]);
    const expired = Number(statuses("tpp-expired")["401"]);
    expect(ai + pi + expired).toBe(90);
    // The server saw exactly these requests, each under the certificate of the TPP that sent it.
    expect(seen.get("tpp-ai.demo.example")?.get("GET")).toBe(ai);
    expect(seen.get("tpp-pi.demo.example")?.get("POST")).toBe(pi);
    expect(seen.get("tpp-expired.demo.example")?.get("GET")).toBe(expired);
    expect(seen.has("none")).toBe(false);

    const latency = tree(summary.latencyMs, "latencyMs");
    const [p50, p90, p99, max] = [latency.p50, latency.p90, latency.p99, latency.max].map(Number);
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p90 ?? 0);
    expect(p90).toBeLessThanOrEqual(p99 ?? 0);
    expect(p99).toBeLessThanOrEqual(max ?? 0);
  });

  it("prints a table with throughput and percentiles by default", async () => {
    const result = await run(
      process.execPath,
      [
        repoPath("deploy/loadtest/loadtest.mjs"),
        ...[
          "--url",
          `https://127.0.0.1:${port}`,
          "--servername",
          "localhost",
          "--ca",
          join(dir, "server-ca.pem"),
        ],
        ...["--pki", pkiDir, "--tpp", "tpp-ai=GET /v1/accounts", "--concurrency", "2", "--requests", "10"],
      ],
      { timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/tpp-ai\s+GET \/v1\/accounts\s+200: 10/);
    expect(result.stdout).toMatch(
      /10 responses \(0 errors\) = [\d.]+ req\/s; latency ms p50 [\d.]+ p90 [\d.]+ p99 [\d.]+ max/,
    );
  });

  it("exits 1 when nothing answers", async () => {
    const closed = await freePort();
    const result = await run(
      process.execPath,
      [
        repoPath("deploy/loadtest/loadtest.mjs"),
        ...["--url", `https://127.0.0.1:${closed}`, "--pki", pkiDir, "--tpp", "tpp-ai=GET /v1/accounts"],
        ...["--concurrency", "1", "--requests", "2", "--json"],
      ],
      { timeoutMs: 60_000 },
    );
    expect(result.code).toBe(1);
    const summary = tree(JSON.parse(result.stdout), "summary");
    expect(summary).toMatchObject({ responses: 0, errors: 2 });
  });

  it("refuses a malformed --tpp instead of guessing", async () => {
    const result = await run(process.execPath, [
      repoPath("deploy/loadtest/loadtest.mjs"),
      ...["--url", "https://127.0.0.1:1", "--pki", pkiDir, "--tpp", "tpp-ai GET /v1/accounts"],
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--tpp must look like/);
  });
});
