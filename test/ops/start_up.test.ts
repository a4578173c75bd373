import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/demo/certificate_factory.js";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { ConfigError } from "../../src/foundation/config_error.js";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import { startService } from "../../src/service.js";

/** Issue 14, "Give on-call the facts": the start-up line, the loud warnings, and one-line start failures. */

const DAY_MS = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), "gk-start-"));
const POLICY = join(PROJECT_ROOT, "policies", "berlin-group.yaml");
let pki: DemoPki;

class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split("\n"))
      if (line.trim() !== "") this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

function config(name: string, lines: readonly string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [`policy: ${POLICY}`, ...lines, ""].join("\n"));
  return file;
}

const LOOPBACK_ANY_PORT = ["listen: { host: 127.0.0.1, port: 0 }", "metrics: { host: 127.0.0.1, port: 0 }"];

async function startLogged(configFile: string): Promise<Lines> {
  const log = new Lines();
  const service = await startService({ configFile, logDestination: log, watchFiles: false });
  await service.stop();
  return log;
}

async function startFailure(configFile: string): Promise<ConfigError> {
  const error: unknown = await startService({
    configFile,
    logDestination: new Lines(),
    watchFiles: false,
  }).then(
    async (service) => {
      await service.stop();
      return undefined;
    },
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

/** A port some other process holds, on loopback. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { port: address.port, server };
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

beforeAll(async () => {
  pki = await createDemoPki();
  writeFileSync(join(dir, "root.pem"), pki.root.pem);
  writeFileSync(join(dir, "intermediates.pem"), pki.intermediate.pem);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the start-up line", () => {
  it("states rules, anchors with the earliest expiry, revocation mode, sources and mode, and warns about nothing in a sound config", async () => {
    const log = await startLogged(
      config("sound", [
        ...LOOPBACK_ANY_PORT,
        "trust: { anchors: root.pem, intermediates: intermediates.pem }",
      ]),
    );
    const summary = log.lines.find((line) => line.msg === "configuration in force");
    expect(summary).toMatchObject({
      level: "info",
      mode: "enforce",
      policy: { rules: 10, publicRoutes: 0, dryRunRules: 0 },
      anchors: 1,
      anchorsEarliestExpiry: pki.root.cert.notAfter.toISOString(),
      intermediates: 1,
      trustedLists: false,
      revocation: expect.stringMatching(/^on, ocsp-then-crl, failMode hard, waits \d+ ms/),
      sources: ["peer"],
      sni: "not checked",
    });
    expect(log.lines.filter((line) => line.level === "warn")).toEqual([]);
  });

  it("warns loudly, one line each, about dry-run and revocation off", async () => {
    const log = await startLogged(
      config("loose", [
        ...LOOPBACK_ANY_PORT,
        "trust: { anchors: root.pem, intermediates: intermediates.pem }",
        "mode: dry-run",
        "revocation: { enabled: false }",
      ]),
    );
    const warnings = log.lines.filter((line) => line.level === "warn");
    expect(warnings.map((line) => line.finding)).toEqual(["dry-run", "revocation-off"]);
    expect(String(warnings[0]?.msg)).toContain("ALLOWED");
    expect(log.lines.find((line) => line.msg === "configuration in force")).toMatchObject({
      mode: "dry-run",
      revocation: "off (revocation.enabled: false)",
    });
  });

  it("warns about an anchor that expires within 30 days and an intermediate that chains to no anchor", async () => {
    const soon = await issueCertificate({
      subject: "CN=Expiring Root, O=Test QTSP, C=EU",
      isCa: true,
      notAfter: new Date(Date.now() + 10 * DAY_MS),
    });
    const stray = await issueCertificate({
      subject: "CN=Stray Issuing CA, O=Elsewhere, C=EU",
      issuer: await issueCertificate({ subject: "CN=Stray Root, O=Elsewhere, C=EU", isCa: true }),
      isCa: true,
    });
    writeFileSync(join(dir, "soon.pem"), `${pki.root.pem}\n${soon.pem}`);
    writeFileSync(join(dir, "stray.pem"), `${pki.intermediate.pem}\n${stray.pem}`);
    const log = await startLogged(
      config("hurts-later", [
        ...LOOPBACK_ANY_PORT,
        "trust: { anchors: soon.pem, intermediates: stray.pem }",
        "revocation: { enabled: true }",
      ]),
    );
    const warnings = log.lines.filter((line) => line.level === "warn");
    expect(warnings.map((line) => line.finding)).toEqual(["ca-expiring", "intermediate-unchained"]);
    expect(String(warnings[0]?.msg)).toMatch(/^anchor "CN=Expiring Root, O=Test QTSP, C=EU" expires on /);
    expect(String(warnings[1]?.msg)).toContain('"CN=Stray Issuing CA, O=Elsewhere, C=EU" does not chain');
    expect(log.lines.find((line) => line.msg === "configuration in force")).toMatchObject({
      anchors: 2,
      anchorsEarliestExpiry: soon.cert.notAfter.toISOString(),
    });
  });

  it("does not call an intermediate that is also an anchor unchained", async () => {
    writeFileSync(join(dir, "both.pem"), `${pki.root.pem}\n${pki.intermediate.pem}`);
    const log = await startLogged(
      config("anchor-as-intermediate", [
        ...LOOPBACK_ANY_PORT,
        "trust: { anchors: root.pem, intermediates: both.pem }",
      ]),
    );
    expect(log.lines.filter((line) => line.level === "warn")).toEqual([]);
  });
});

describe("a start that cannot bind or open its files is one ConfigError naming the key", () => {
  const trust = "trust: { anchors: root.pem }";

  it("names listen.port when the gRPC port is taken", async () => {
    const { port, server } = await occupiedPort();
    try {
      const error = await startFailure(
        config("grpc-taken", [
          `listen: { host: 127.0.0.1, port: ${port} }`,
          "metrics: { enabled: false }",
          trust,
        ]),
      );
      expect(error.key).toBe("listen.port");
      expect(error.problem).toBe(
        `port ${port} on 127.0.0.1 is already in use by another process (EADDRINUSE)`,
      );
    } finally {
      await closeServer(server);
    }
  });

  it("names metrics.port when the ops port is taken, and frees the gRPC port it had already bound", async () => {
    const { port, server } = await occupiedPort();
    const free = await occupiedPort();
    await closeServer(free.server);
    try {
      const file = config("metrics-taken", [
        `listen: { host: 127.0.0.1, port: ${free.port} }`,
        `metrics: { host: 127.0.0.1, port: ${port} }`,
        trust,
      ]);
      const error = await startFailure(file);
      expect(error.key).toBe("metrics.port");
      expect(error.message).toContain("EADDRINUSE");
      // Nothing of the failed start holds the gRPC port: a second listener gets it.
      const again = createServer();
      await new Promise<void>((resolve, reject) => {
        again.once("error", reject);
        again.listen(free.port, "127.0.0.1", resolve);
      });
      await closeServer(again);
    } finally {
      await closeServer(server);
    }
  });

  it("names listen.host when the address is not one of this machine's", async () => {
    // 192.0.2.1 (RFC 5737, documentation only) is on no interface here: the bind fails locally, no packet leaves.
    const error = await startFailure(
      config("foreign-host", ["listen: { host: 192.0.2.1, port: 0 }", "metrics: { enabled: false }", trust]),
    );
    expect(error.key).toBe("listen.host");
    expect(error.problem).toBe("192.0.2.1 is not an address of this machine (EADDRNOTAVAIL)");
  });

  it("names audit.file when the audit trail cannot be created", async () => {
    writeFileSync(join(dir, "a-file"), "");
    const error = await startFailure(
      config("audit-unwritable", [
        ...LOOPBACK_ANY_PORT,
        trust,
        `audit: { file: ${join(dir, "a-file", "audit.log")} }`,
      ]),
    );
    expect(error.key).toBe("audit.file");
    expect(error.problem).toBe(
      `cannot create the folder ${join(dir, "a-file")}: a file, not a folder, is in the way (EEXIST)`,
    );
  });

  it("says that `npm start` generates the demo files when a copied demo.yaml misses them", async () => {
    const copy = join(dir, "copied", "config");
    mkdirSync(copy, { recursive: true });
    copyFileSync(join(PROJECT_ROOT, "config", "demo.yaml"), join(copy, "demo.yaml"));
    const error = await startFailure(join(copy, "demo.yaml"));
    expect(error.message).toContain(join(dir, "copied", "demo", "lists"));
    expect(error.message).toContain("ENOENT (the demo PKI and trusted lists are generated by `npm start`");
  });
});
