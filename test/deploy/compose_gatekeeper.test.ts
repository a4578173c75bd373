import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type RunningService, startService } from "../../src/service.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { type CheckClient, checkClient } from "../support/ext_authz_client.js";
import { listenOnLoopback } from "../support/ports.js";
import {
  at,
  dashboardExpressions,
  isTree,
  list,
  promqlMetricNames,
  ROOT,
  readYaml,
  run,
  runPkiJob,
  serveShOcspArgs,
  text,
} from "./support.js";

/**
 * The compose demo's gatekeeper without Docker: deploy/compose/gatekeeper.yaml with its container paths
 * mapped to this machine (/pki -> the pki job's output here, /app -> the repository), the `ocsp` service
 * replaced by a loopback HTTP server that answers through `openssl ocsp` with serve.sh's options, and the
 * listeners on loopback ports. What the compose stack would decide for the demo TPPs, decided for real.
 */

const dir = mkdtempSync(join(tmpdir(), "gk-compose-run-"));
const pkiDir = join(dir, "pki");
let responder: Server;
let responderRequests = 0;
let service: RunningService;
let client: CheckClient;

const pem = (tpp: string) => readFileSync(join(pkiDir, "qtsp", `${tpp}.pem`), "utf8");

/** Answers each OCSP POST with `openssl ocsp -reqin ... -respout ...` and the options of serve.sh. */
async function startResponder(): Promise<string> {
  responder = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      responderRequests += 1;
      const name = join(dir, `ocsp-${responderRequests}`);
      writeFileSync(`${name}.req`, Buffer.concat(chunks));
      const result = await run(
        "openssl",
        ["ocsp", ...serveShOcspArgs(pkiDir), "-reqin", `${name}.req`, "-respout", `${name}.resp`],
        { timeoutMs: 10_000 },
      );
      if (result.code !== 0) {
        response.writeHead(500).end(result.stderr);
        return;
      }
      response
        .writeHead(200, { "content-type": "application/ocsp-response" })
        .end(readFileSync(`${name}.resp`));
    });
  });
  return `http://127.0.0.1:${await listenOnLoopback(responder)}`;
}

/** The compose config with container paths and addresses replaced by their local equivalents. */
function localConfig(ocspOrigin: string): string {
  const localize = (value: unknown): unknown => {
    if (typeof value === "string") {
      return value
        .replace(/^\/pki\//, `${pkiDir}/`)
        .replace(/^\/app\//, `${ROOT}/`)
        .replace(/^http:\/\/ocsp:8080/, ocspOrigin);
    }
    if (Array.isArray(value)) return value.map(localize);
    if (isTree(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localize(v)]));
    return value;
  };
  const config = localize(readYaml("deploy/compose/gatekeeper.yaml"));
  if (!isTree(config) || !isTree(config.metrics) || !isTree(config.revocation)) {
    throw new Error("compose config without metrics or revocation section");
  }
  const file = join(dir, "gatekeeper.yaml");
  writeFileSync(
    file,
    stringify({
      ...config,
      listen: { host: "127.0.0.1", port: 0 },
      metrics: { ...config.metrics, host: "127.0.0.1", port: 0 },
      // This responder starts an openssl process per request, slower than the compose daemon; a longer
      // wait keeps the decisions below independent of how fast this machine spawns processes.
      revocation: { ...config.revocation, timeoutMs: 2_000 },
    }),
  );
  return file;
}

beforeAll(async () => {
  await runPkiJob(pkiDir);
  const configFile = localConfig(await startResponder());
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  service = await startService({ configFile, logDestination: quiet, watchFiles: false });
  client = checkClient(service.grpcPort);
});

afterAll(async () => {
  client?.close();
  await service?.stop();
  await new Promise<void>((resolve) => (responder ? responder.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("the compose gatekeeper (deploy/compose/gatekeeper.yaml) on the pki job's certificates", () => {
  it("allows a demo TPP on a route of its role once the demo responder says good", async () => {
    const response = await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
    expect(response.status.code, headerValue(response, "x-authz-reason")).toBe(0);
    expect(headerValue(response, "x-tpp-organization-id")).toBe("PSDFR-ACPR-10001");
    expect(responderRequests).toBeGreaterThan(0);
  });

  it("refuses tpp-revoked with 401 CERTIFICATE_REVOKE, as the demo responder reports it revoked", async () => {
    const response = await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-revoked") }));
    expect(response.status.code).not.toBe(0);
    expect(response.denied_response?.status.code).toBe(401);
    expect(headerValue(response, "x-authz-reason")).toBe("CERT_REVOKED");
    expect(response.denied_response?.body).toContain('"CERTIFICATE_REVOKE"');
  });

  it("refuses tpp-expired with 401 CERTIFICATE_EXPIRED", async () => {
    const response = await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-expired") }));
    expect(response.denied_response?.status.code).toBe(401);
    expect(headerValue(response, "x-authz-reason")).toBe("CERT_EXPIRED");
  });

  it("answers the readiness and liveness paths the probes use", async () => {
    expect((await fetch(`http://127.0.0.1:${service.opsPort}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${service.opsPort}/healthz`)).status).toBe(200);
  });

  it("exports every metric the Grafana dashboard and the alert rules read", async () => {
    const body = await (await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)).text();
    const exported = new Set([...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => match[1]));
    const alertExprs = list(at(readYaml("deploy/prometheus/alerts.yml"), "groups"), "groups").flatMap(
      (group) => list(at(group, "rules"), "rules").map((rule) => text(at(rule, "expr"), "expr")),
    );
    const read = new Set([...dashboardExpressions(), ...alertExprs].flatMap(promqlMetricNames));
    read.delete("up"); // Prometheus's own series for the scrape target.
    expect(read.size).toBeGreaterThan(5);
    for (const name of read) {
      const base = name.replace(/_(bucket|sum|count)$/, "");
      expect(exported.has(name) || exported.has(base), `${name} is exported`).toBe(true);
    }
  });
});
