import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { type RunningService, startService } from "../../src/service.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { type CheckClient, checkClient } from "../support/ext_authz_client.js";

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), "gk-ops-"));
let pki: DemoPki;
const running: { service: RunningService; client: CheckClient }[] = [];

function policy(aiRoles: string, mode = "enforce"): string {
  return [
    "version: 1",
    "rules:",
    `  - { id: accounts, methods: [GET], path: /v1/accounts/**, roles: [${aiRoles}], mode: ${mode} }`,
    "  - { id: payments, methods: [POST], path: /v1/payments/**, roles: [PSP_PI] }",
  ].join("\n");
}

function writeConfig(name: string, extra: string[] = []): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      "listen: { host: 127.0.0.1, port: 0 }",
      "metrics: { host: 127.0.0.1, port: 0 }",
      "trust: { anchors: root.pem, intermediates: intermediates.pem }",
      `policy: ${name}-policy.yaml`,
      "revocation: { enabled: false }",
      "log: { level: info }",
      ...extra,
    ].join("\n"),
  );
  return file;
}

class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split("\n"))
      if (line.trim() !== "") this.lines.push(JSON.parse(line));
    done();
  }
}

async function start(
  name: string,
  options: { extra?: string[]; now?: () => Date; policyText?: string } = {},
) {
  writeFileSync(join(dir, `${name}-policy.yaml`), options.policyText ?? policy("PSP_AI"));
  const log = new Lines();
  const service = await startService({
    configFile: writeConfig(name, options.extra),
    logDestination: log,
    watchFiles: false,
    ...(options.now ? { now: options.now } : {}),
  });
  const client = checkClient(service.grpcPort);
  running.push({ service, client });
  return { service, client, log };
}

async function scrape(service: RunningService, path = "/metrics"): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${service.opsPort}${path}`);
  return { status: response.status, body: await response.text() };
}

const pem = (name: keyof DemoPki["tpps"]) => pki.tpps[name].pem;

beforeAll(async () => {
  pki = await createDemoPki();
  writeFileSync(join(dir, "root.pem"), pki.root.pem);
  writeFileSync(join(dir, "intermediates.pem"), pki.intermediate.pem);
});

afterEach(async () => {
  for (const { service, client } of running.splice(0)) {
    client.close();
    await service.stop();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("metrics on the ops port", () => {
  it("counts real decisions by reason, cache use, TPP and anchor expiry, reloads and process health", async () => {
    const { service, client } = await start("metrics");
    await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
    await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
    await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-pi") }));
    await client.check(checkRequest({ path: "/v1/accounts" }));
    const { status, body } = await scrape(service);
    expect(status).toBe(200);
    expect(body).toContain('gatekeeper_decisions_total{decision="allow"} 2');
    expect(body).toContain('gatekeeper_decisions_total{decision="deny",reason="ROLE_NOT_ALLOWED"} 1');
    expect(body).toContain('gatekeeper_decisions_total{decision="deny",reason="CERT_MISSING"} 1');
    expect(body).toContain("gatekeeper_certificate_cache_hits_total 1");
    expect(body).toContain("gatekeeper_certificate_cache_misses_total 2");
    expect(body).toContain("gatekeeper_certificate_cache_entries 2");
    expect(body).toContain('gatekeeper_tpp_decisions_total{tpp_id="PSDFR-ACPR-10001",decision="allow"} 2');
    expect(body).toMatch(
      /gatekeeper_certificate_expiry_timestamp_seconds\{tpp_id="PSDFR-ACPR-10001",cert_sha256="[0-9a-f]{64}"\} \d{10}\n/,
    );
    expect(body).toMatch(
      /gatekeeper_trust_anchor_expiry_timestamp_seconds\{kind="anchor",subject="CN=Demo QTSP Root CA[^"]*"\} \d{10}\n/,
    );
    expect(body).toContain('gatekeeper_config_reloads_total{result="success"} 1');
    expect(body).toContain("gatekeeper_config_last_reload_successful 1");
    expect(body).toContain('gatekeeper_mode{mode="enforce"} 1');
    expect(body).toMatch(/gatekeeper_build_info\{version="\d+\.\d+\.\d+",revision="[^"]+"\} 1/);
    expect(body).toMatch(/gatekeeper_check_duration_seconds_count 4/);
    expect(body).toContain("nodejs_eventloop_lag_seconds");
    expect(body).toContain("process_resident_memory_bytes");
  });

  it("answers /healthz and /readyz", async () => {
    const { service } = await start("health");
    expect((await scrape(service, "/healthz")).status).toBe(200);
    expect((await scrape(service, "/readyz")).status).toBe(200);
    expect((await scrape(service, "/nope")).status).toBe(404);
  });
});

describe("hot reload keeps the last good configuration", () => {
  it("swaps in a good policy, rejects a broken one, and keeps deciding by the last good", async () => {
    const { service, client, log } = await start("reload");
    const decide = async (tpp: "tpp-ai" | "tpp-pi") =>
      (await client.check(checkRequest({ path: "/v1/accounts", certPem: pem(tpp) }))).status.code === 0;
    expect([await decide("tpp-ai"), await decide("tpp-pi")]).toEqual([true, false]);

    writeFileSync(join(dir, "reload-policy.yaml"), policy("PSP_PI"));
    expect(await service.reload("test")).toBe(true);
    expect([await decide("tpp-ai"), await decide("tpp-pi")]).toEqual([false, true]);

    writeFileSync(join(dir, "reload-policy.yaml"), policy("PSP_NOPE"));
    expect(await service.reload("test")).toBe(false);
    expect([await decide("tpp-ai"), await decide("tpp-pi")]).toEqual([false, true]);

    const rejected = log.lines.find((line) => line.msg?.toString().startsWith("reload rejected"));
    expect(rejected).toMatchObject({ file: join(dir, "reload-policy.yaml"), key: "rules.0.roles.0" });
    const { body } = await scrape(service);
    expect(body).toContain('gatekeeper_config_reloads_total{result="failure"} 1');
    expect(body).toContain('gatekeeper_config_reloads_total{result="success"} 2');
  });

  it("keeps the chain cache over a policy change and clears it when the trust anchors change", async () => {
    const { service, client, log } = await start("trust-reload");
    await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
    writeFileSync(join(dir, "trust-reload-policy.yaml"), policy("PSP_AI,PSP_PI"));
    await service.reload("policy");
    expect(log.lines.at(-1)).toMatchObject({ msg: "configuration reloaded", chainCache: "kept" });

    // Remove the anchor: the cached "trusted" verdict for tpp-ai must not survive.
    const other = await createDemoPki();
    writeFileSync(join(dir, "root.pem"), other.root.pem);
    try {
      expect(await service.reload("trust")).toBe(true);
      expect(log.lines.at(-1)).toMatchObject({ chainCache: "cleared" });
      const after = await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
      expect(headerValue(after, "x-authz-reason")).toBe("CERT_UNTRUSTED");
    } finally {
      writeFileSync(join(dir, "root.pem"), pki.root.pem);
    }
  });

  it("reloads by itself when a watched file changes", async () => {
    writeFileSync(join(dir, "watch-policy.yaml"), policy("PSP_AI"));
    const log = new Lines();
    const service = await startService({
      configFile: writeConfig("watch"),
      logDestination: log,
      watchFiles: true,
    });
    const client = checkClient(service.grpcPort);
    running.push({ service, client });
    writeFileSync(join(dir, "watch-policy.yaml"), policy("PSP_PI"));
    for (let i = 0; i < 100 && !log.lines.some((l) => l.msg === "configuration reloaded"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const response = await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-pi") }));
    expect(response.status.code).toBe(0);
  });
});

describe("dry-run", () => {
  it("globally: allows, but marks and counts what would have been denied", async () => {
    const { service, client, log } = await start("dry-global", { extra: ["mode: dry-run"] });
    const response = await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-pi") }));
    expect(response.status.code).toBe(0);
    expect(headerValue(response, "x-tpp-dry-run-deny")).toBe("ROLE_NOT_ALLOWED");
    expect(headerValue(response, "x-tpp-organization-id")).toBe("PSDDE-BAFIN-20002");
    const { body } = await scrape(service);
    expect(body).toContain('gatekeeper_decisions_total{decision="dry-run",reason="ROLE_NOT_ALLOWED"} 1');
    expect(log.lines.find((l) => l.decision === "allow")).toMatchObject({ wouldDeny: "ROLE_NOT_ALLOWED" });
  });

  it("never waives an unsafe path", async () => {
    const { client } = await start("dry-path", { extra: ["mode: dry-run"] });
    const response = await client.check(
      checkRequest({ path: "/v1/accounts/../payments", certPem: pem("tpp-ai") }),
    );
    expect(headerValue(response, "x-authz-reason")).toBe("PATH_INVALID");
  });

  it("per rule: only the dry-run rule is relaxed", async () => {
    const { client } = await start("dry-rule", { policyText: policy("PSP_IC", "dry-run") });
    const accounts = await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-pi") }));
    expect(accounts.status.code).toBe(0);
    expect(headerValue(accounts, "x-tpp-dry-run-deny")).toBe("ROLE_NOT_ALLOWED");
    const payments = await client.check(
      checkRequest({ method: "POST", path: "/v1/payments/sepa-credit-transfers", certPem: pem("tpp-ai") }),
    );
    expect(headerValue(payments, "x-authz-reason")).toBe("ROLE_NOT_ALLOWED");
  });

  it("per rule: still refuses a request without a certificate on the dry-run rule's path", async () => {
    const { client } = await start("dry-rule-nocert", { policyText: policy("PSP_IC", "dry-run") });
    const anonymous = await client.check(checkRequest({ path: "/v1/accounts" }));
    expect(headerValue(anonymous, "x-authz-reason")).toBe("CERT_MISSING");
    const expired = await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-expired") }));
    expect(headerValue(expired, "x-authz-reason")).toBe("CERT_EXPIRED");
  });
});

describe("audit log", () => {
  it("writes one JSON line per decision with only the audit fields, and reopens for rotation", async () => {
    const audit = join(dir, "audit", "decisions.jsonl");
    const { service, client } = await start("audit", { extra: [`audit: { file: ${audit} }`] });
    await client.check(
      checkRequest({
        path: "/v1/accounts?iban=DE89370400440532013000",
        certPem: pem("tpp-ai"),
        headers: { cookie: "x" },
      }),
    );
    await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-pi") }));
    const lines = await readLines(audit, 2);
    expect(Object.keys(lines[0]!).sort()).toEqual(
      [
        "certSerial",
        "certSha256",
        "certificateVia",
        "decision",
        "event",
        "level",
        "method",
        "path",
        "reqId",
        "revocation",
        "revocationSource",
        "roles",
        "time",
        "tppId",
        "tppName",
      ].sort(),
    );
    expect(lines[0]).toMatchObject({ tppId: "PSDFR-ACPR-10001", path: "/v1/accounts", decision: "allow" });
    expect(lines[1]).toMatchObject({
      tppId: "PSDDE-BAFIN-20002",
      decision: "deny",
      reason: "ROLE_NOT_ALLOWED",
    });
    const text = readFileSync(audit, "utf8");
    expect(text).not.toContain("DE89370400440532013000");
    expect(text).not.toContain("BEGIN CERTIFICATE");

    renameSync(audit, `${audit}.1`);
    service.reopenAudit();
    await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
    expect(await readLines(audit, 1)).toHaveLength(1);
  });
});

describe("the facts on-call needs (issue 14)", () => {
  it("names a refused certificate by SHA-256, serial and issuer, with the peer, in the log, the audit and Envoy's metadata", async () => {
    const audit = join(dir, "facts", "decisions.jsonl");
    const { client, log } = await start("facts", { extra: [`audit: { file: ${audit} }`] });
    const expired = pki.tpps["tpp-expired"];
    const response = await client.check(
      checkRequest({ path: "/v1/accounts", certPem: expired.pem, sourceAddress: "10.1.2.3" }),
    );
    expect(headerValue(response, "x-authz-reason")).toBe("CERT_EXPIRED");
    const sha256 = createHash("sha256").update(new Uint8Array(expired.cert.rawData)).digest("hex");
    const facts = {
      certSha256: sha256,
      certSerial: expired.cert.serialNumber,
      certIssuer: expired.cert.issuer,
      peer: "10.1.2.3",
    };
    expect(log.lines.find((line) => line.reason === "CERT_EXPIRED")).toMatchObject(facts);
    expect((await readLines(audit, 1))[0]).toMatchObject({ ...facts, reason: "CERT_EXPIRED" });
    const metadata = response.dynamic_metadata?.fields as
      | Record<string, { stringValue?: string }>
      | undefined;
    expect(metadata?.cert_sha256?.stringValue).toBe(sha256);
  });

  it("writes string levels and ISO time, one name for the TPP id and roles as an array, and says revocation is off", async () => {
    const audit = join(dir, "names", "decisions.jsonl");
    const { client, log } = await start("names", { extra: [`audit: { file: ${audit} }`] });
    await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
    const line = log.lines.find((entry) => entry.decision === "allow");
    expect(line).toMatchObject({
      level: "info",
      tppId: "PSDFR-ACPR-10001",
      roles: ["PSP_AI"],
      revocation: "off",
    });
    expect(line?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(line).not.toHaveProperty("tpp");
    const [audited] = await readLines(audit, 1);
    expect(audited).toMatchObject({ tppId: "PSDFR-ACPR-10001", roles: ["PSP_AI"], revocation: "off" });
  });

  it("creates the audit file 0600 and logs a line when it is reopened", async () => {
    const audit = join(dir, "private", "decisions.jsonl");
    const { service, client, log } = await start("private", { extra: [`audit: { file: ${audit} }`] });
    await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
    await readLines(audit, 1);
    expect(statSync(audit).mode & 0o777).toBe(0o600);
    renameSync(audit, `${audit}.1`);
    service.reopenAudit();
    expect(log.lines.find((line) => line.msg === "audit file reopened")).toMatchObject({ file: audit });
    await client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
    await readLines(audit, 1);
    expect(statSync(audit).mode & 0o777).toBe(0o600);
  });
});

describe("QWAC expiry warnings", () => {
  it("warns once per certificate per threshold as the clock passes T-30, T-15 and T-7", async () => {
    const notAfter = pki.tpps["tpp-ai"].cert.notAfter.getTime();
    const clock = { now: new Date(notAfter - 40 * DAY) };
    const { service, client, log } = await start("expiry", { now: () => clock.now });
    const check = () => client.check(checkRequest({ path: "/v1/accounts", certPem: pem("tpp-ai") }));
    const warnings = () =>
      log.lines.filter((line) => line.level === "warn" && line.tppId === "PSDFR-ACPR-10001");

    await check();
    expect(warnings()).toHaveLength(0);
    for (const [days, expected] of [
      [29, [30]],
      [20, [30]],
      [14, [30, 15]],
      [6, [30, 15, 7]],
      [3, [30, 15, 7]],
    ] as const) {
      clock.now = new Date(notAfter - days * DAY);
      await check();
      await check();
      service.expiry.sweep(clock.now.getTime());
      expect(warnings().map((w) => w.thresholdDays)).toEqual(expected);
    }
  });
});

async function readLines(file: string, count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100; i++) {
    try {
      const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
      if (lines.length >= count) return lines.map((line) => JSON.parse(line));
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${file} did not get ${count} lines`);
}
