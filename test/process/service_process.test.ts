import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDemoPki } from "../../src/demo/demo_pki.js";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import { checkRequest } from "../support/check_request.js";
import { checkClient, healthStatus } from "../support/ext_authz_client.js";
import { hostileCertificates } from "../support/hostile_certificates.js";
import { type ServiceProcess, startServiceProcess } from "../support/service_process.js";

async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const dir = mkdtempSync(join(tmpdir(), "gk-process-"));
const running: ServiceProcess[] = [];

beforeAll(async () => {
  await ensureDemoPki(join(dir, "pki"));
});

afterAll(async () => {
  for (const service of running) {
    if (service.child.exitCode === null) {
      service.child.kill("SIGKILL");
      await service.exited;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("the service process", () => {
  it("serves Check and health, logs one line per decision without the certificate, and exits 0 on SIGTERM", async () => {
    const config = join(dir, "good.yaml");
    writeFileSync(
      config,
      [
        // The flags below override these ports: were they ignored, the start would fail on 9191/9464
        // or, worse, collide with a demo running beside the tests.
        "listen: { host: 127.0.0.1, port: 9191 }",
        "metrics: { port: 9464 }",
        "revocation: { enabled: false }",
        "cache: { certificates: 4000, maxBytes: 16777216 }",
        "trust: { anchors: pki/root.pem, intermediates: pki/intermediates.pem }",
        `policy: ${join(PROJECT_ROOT, "policies/berlin-group.yaml")}`,
        "pidFile: run/gatekeeper.pid",
      ].join("\n"),
    );
    const service = startServiceProcess(config, [], ["--listen-port", "0", "--metrics-port", "0"]);
    running.push(service);
    const port = await waitFor(
      () => service.lines.find((line) => line.msg === "ext_authz listening")?.port as number | undefined,
      "the listening line",
    );

    expect(await healthStatus(port, "envoy.service.auth.v3.Authorization")).toBe(1); // SERVING

    const authz = checkClient(port);
    const pem = readFileSync(join(dir, "pki", "tpp-ai.pem"), "utf8");
    const response = await authz.check(
      checkRequest({
        path: "/v1/accounts?iban=DE89370400440532013000",
        certPem: pem,
        headers: { cookie: "s=1" },
      }),
    );
    expect(response.status.code).toBe(0);
    const listening = service.lines.find((line) => line.msg === "ext_authz listening");
    expect(listening?.opsPort).not.toBe(9464);
    expect(readFileSync(join(dir, "run", "gatekeeper.pid"), "utf8")).toBe(`${service.child.pid}\n`);

    const decision = await waitFor(
      () => service.lines.find((line) => line.decision === "allow"),
      "the decision line",
    );
    expect(decision).toMatchObject({
      reqId: "req-1",
      tppId: "PSDFR-ACPR-10001",
      roles: ["PSP_AI"],
      method: "GET",
      path: "/v1/accounts",
    });
    expect(typeof decision.us).toBe("number");
    const everything = JSON.stringify(service.lines);
    expect(everything).not.toContain("DE89370400440532013000");
    expect(everything).not.toContain("BEGIN CERTIFICATE");
    expect(everything).not.toContain(pem.split("\n")[1]);
    expect(everything).not.toContain("s=1");

    authz.close();
    service.child.kill("SIGTERM");
    expect(await service.exited).toBe(0);
    expect(service.lines.some((line) => line.msg === "stopped")).toBe(true);
    expect(existsSync(join(dir, "run", "gatekeeper.pid"))).toBe(false);
  });

  it("answers an unknown flag with a usage line and exit 2", async () => {
    const service = startServiceProcess(join(dir, "good.yaml"), [], ["--listen-prot", "0"]);
    running.push(service);
    expect(await service.exited).toBe(2);
    expect(service.stderr()).toMatch(
      /^gatekeeper: Unknown option '--listen-prot'.*\nusage: gatekeeper \[CONFIG\]/s,
    );
  });

  it("refuses to start on a bad config, naming the file, the key and the problem", async () => {
    const config = join(dir, "bad.yaml");
    writeFileSync(config, "trust: { anchors: pki/root.pem }\npolicy: p.yaml\ncache: { certificates: -1 }\n");
    const service = startServiceProcess(config);
    running.push(service);
    expect(await service.exited).toBe(1);
    expect(service.stderr()).toContain(`config error: ${config}: cache.certificates:`);
  });

  it("answers a gRPC port in use with one line on stderr and exit 1 (no grpc-js diagnostics, no stack)", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const config = join(dir, "port-taken.yaml");
      writeFileSync(
        config,
        `listen: { host: 127.0.0.1, port: ${port} }\nmetrics: { enabled: false }\n` +
          `trust: { anchors: pki/root.pem }\npolicy: ${join(PROJECT_ROOT, "policies", "berlin-group.yaml")}\n`,
      );
      const service = startServiceProcess(config);
      running.push(service);
      expect(await service.exited).toBe(1);
      expect(service.stderr()).toBe(
        `config error: ${config}: listen.port: port ${port} on 127.0.0.1 is already in use by another process (EADDRINUSE)\n`,
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("refuses to start on a broken policy file, naming that file", async () => {
    const policy = join(dir, "broken-policy.yaml");
    writeFileSync(policy, "version: 1\nrules:\n  - { methods: [GET], path: /v1/x, roles: [PSP_XX] }\n");
    const config = join(dir, "bad-policy.yaml");
    writeFileSync(config, `trust: { anchors: pki/root.pem }\npolicy: ${policy}\n`);
    const service = startServiceProcess(config);
    running.push(service);
    expect(await service.exited).toBe(1);
    expect(service.stderr()).toContain(`config error: ${policy}: rules.0.roles.0`);
  });
});

describe("the service process under a flood of hostile certificates (issue 13, item 3)", () => {
  // Twice the certificates the cache keeps (every one past the first 4,000 evicts), on a heap well under
  // a 512Mi pod's: the full-size flood at the default budget is `npm run bench:flood`.
  const FLOOD = 8_000;
  const IN_FLIGHT = 16;

  it("survives 8,000 distinct self-signed certificates with 4.5 KB names on a 96 MB heap, then admits a good TPP", async () => {
    const config = join(dir, "flood.yaml");
    writeFileSync(
      config,
      [
        "listen: { host: 127.0.0.1, port: 0 }",
        "metrics: { enabled: false }",
        "revocation: { enabled: false }",
        "cache: { certificates: 4000, maxBytes: 16777216 }",
        "trust: { anchors: pki/root.pem, intermediates: pki/intermediates.pem }",
        `policy: ${join(PROJECT_ROOT, "policies/berlin-group.yaml")}`,
      ].join("\n"),
    );
    // Before the fix a cache bounded by entries alone held every one of these: this heap was exhausted
    // after a few thousand (JavaScript heap out of memory).
    const service = startServiceProcess(config, ["--max-old-space-size=96"]);
    running.push(service);
    const port = await waitFor(
      () => service.lines.find((line) => line.msg === "ext_authz listening")?.port as number | undefined,
      "the listening line",
    );
    const authz = checkClient(port);
    // An RPC error fails the test with the service's stderr, where a crash says "heap out of memory".
    const check = (certPem: string) =>
      authz.check(checkRequest({ path: "/v1/accounts", certPem })).then(
        (value) => value.status.code,
        (error: Error) => {
          throw new Error(`${error.message}; service stderr: ${service.stderr().slice(-400)}`);
        },
      );

    const hostile = hostileCertificates(4500);
    expect(encodeURIComponent(hostile.pem(0)).length).toBeGreaterThan(13_000);
    let next = 0;
    let denied = 0;
    const worker = async () => {
      while (next < FLOOD) {
        const code = await check(hostile.pem(next++));
        if (code !== 0) denied++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    expect(denied).toBe(FLOOD);
    expect(service.child.exitCode).toBeNull();

    expect(await check(readFileSync(join(dir, "pki", "tpp-ai.pem"), "utf8"))).toBe(0);
    const untrusted = service.lines.find((line) => line.reason === "CERT_UNTRUSTED");
    // The cached denial is compact: the reason and a short detail without the certificate's names; the
    // issuer named for on-call is cut to a bounded prefix.
    expect(String(untrusted?.detail)).not.toContain("hostile-unit-");
    expect(String(untrusted?.certIssuer).length).toBeLessThanOrEqual(201);
    authz.close();
    service.child.kill("SIGTERM");
    expect(await service.exited).toBe(0);
  }, 300_000);
});
