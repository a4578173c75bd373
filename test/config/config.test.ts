import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/config.js";
import { ConfigError } from "../../src/foundation/config_error.js";

const MINIMAL = "trust: { anchors: roots/ }\npolicy: policy.yaml\n";

function errorOf(text: string): ConfigError {
  try {
    parseConfig(text, "/etc/gk/config.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("the service configuration file", () => {
  it("fills defaults and resolves paths against the config file's folder", () => {
    const config = parseConfig(MINIMAL, "/etc/gk/config.yaml");
    expect(config.trust.anchors).toBe("/etc/gk/roots");
    expect(config.policy).toBe("/etc/gk/policy.yaml");
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 9191 });
    expect(config.headers).toEqual({ prefix: "x-tpp-", reason: "x-authz-reason" });
    expect(config.qwac.acceptEseal).toBe(false);
    expect(config.cache.certificates).toBe(10_000);
    expect(config.cache.maxBytes).toBe(64 * 1024 * 1024);
  });

  it("keeps absolute paths as they are", () => {
    const config = parseConfig("trust: { anchors: /pki/roots.pem }\npolicy: /p.yaml\n", "/etc/gk/c.yaml");
    expect(config.trust.anchors).toBe("/pki/roots.pem");
  });

  const bad: [string, string, string, RegExp][] = [
    ["a missing required key", "policy: p.yaml\n", "trust", /required key is missing/],
    [
      "an unknown (misspelt) key",
      `${MINIMAL}qwac: { acceptESeal: true }\n`,
      "qwac.acceptESeal",
      /unknown key/,
    ],
    ["a wrong type", `${MINIMAL}listen: { port: "9191" }\n`, "listen.port", /expected number/],
    ["an out-of-range number", `${MINIMAL}listen: { port: 70000 }\n`, "listen.port", /65535/],
    [
      "a header prefix that is not a header name",
      `${MINIMAL}headers: { prefix: "X TPP" }\n`,
      "headers.prefix",
      /lower-case/,
    ],
    ["an unknown log level", `${MINIMAL}log: { level: loud }\n`, "log.level", /Invalid option/],
    ["a zero cache", `${MINIMAL}cache: { certificates: 0 }\n`, "cache.certificates", />=1/],
    ["a cache budget under 1 MiB", `${MINIMAL}cache: { maxBytes: 65536 }\n`, "cache.maxBytes", />=1048576/],
  ];
  for (const [name, text, key, problem] of bad) {
    it(`rejects ${name}, naming the file and the key`, () => {
      const error = errorOf(text);
      expect(error.file).toBe("/etc/gk/config.yaml");
      expect(error.key).toBe(key);
      expect(error.problem).toMatch(problem);
      expect(error.message).toContain(`/etc/gk/config.yaml: ${key}: `);
    });
  }

  it("rejects YAML syntax errors with the line", () => {
    const error = errorOf("trust:\n  anchors: [a\npolicy: p\n");
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/config\.yaml: YAML syntax error: .+ \(line 3, column \d+\)$/);
  });

  it("gives the line of a schema error, like the policy file does", () => {
    const error = errorOf(`${MINIMAL}listen:\n  port: 70000\n`);
    expect(error.key).toBe("listen.port");
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/listen\.port: .*65535.* \(line 4\)$/);
  });

  it("rejects an empty file saying what it must hold", () => {
    expect(errorOf("# nothing yet\n").problem).toBe("the file is empty; expected 'trust' and 'policy'");
  });

  it("rejects duplicate keys instead of silently taking the last one", () => {
    expect(errorOf(`${MINIMAL}policy: other.yaml\n`).message).toMatch(/YAML/);
  });

  const dir = mkdtempSync(join(tmpdir(), "gk-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names a config file that cannot be read", () => {
    expect(() => loadConfig(join(dir, "missing.yaml"))).toThrow(/missing\.yaml: cannot read: ENOENT/);
  });

  it("loads a file from disk", () => {
    const file = join(dir, "ok.yaml");
    writeFileSync(file, MINIMAL);
    expect(loadConfig(file).policy).toBe(join(dir, "policy.yaml"));
  });
});

describe("listen ports: clashes and overrides", () => {
  it("refuses metrics.port or http.port equal to listen.port as a validation error naming the keys", () => {
    const metrics = errorOf(`${MINIMAL}listen: { port: 9191 }\nmetrics: { port: 9191 }\n`);
    expect(metrics.key).toBe("metrics.port");
    expect(metrics.message).toBe(
      "/etc/gk/config.yaml: metrics.port: port 9191 is already used by listen.port (line 4)",
    );
    const http = errorOf(`${MINIMAL}http: { enabled: true, port: 9464 }\n`);
    expect(http.key).toBe("http.port");
    expect(http.problem).toContain("metrics.port");
    // Off listeners and ephemeral ports do not clash.
    expect(() =>
      parseConfig(`${MINIMAL}metrics: { enabled: false, port: 9191 }\n`, "/etc/gk/c.yaml"),
    ).not.toThrow();
    expect(() =>
      parseConfig(`${MINIMAL}listen: { port: 0 }\nmetrics: { port: 0 }\n`, "/etc/gk/c.yaml"),
    ).not.toThrow();
  });

  it("takes GATEKEEPER_LISTEN_PORT / GATEKEEPER_METRICS_PORT over the file, validated like it", () => {
    const env = { GATEKEEPER_LISTEN_PORT: "19191", GATEKEEPER_METRICS_PORT: "19464" };
    const config = parseConfig(`${MINIMAL}listen: { host: 0.0.0.0, port: 9191 }\n`, "/etc/gk/c.yaml", env);
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 19191 });
    expect(config.metrics.port).toBe(19464);
    expect(() => parseConfig(MINIMAL, "/etc/gk/c.yaml", { GATEKEEPER_LISTEN_PORT: "91a" })).toThrow(
      "/etc/gk/c.yaml: listen.port: GATEKEEPER_LISTEN_PORT=91a is not a port (0-65535)",
    );
    expect(() => parseConfig(MINIMAL, "/etc/gk/c.yaml", { GATEKEEPER_METRICS_PORT: "9191" })).toThrow(
      "metrics.port: port 9191 is already used by listen.port",
    );
  });
});
