import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSnapshot } from "../src/config/snapshot.js";
import { createDemoPki } from "../src/demo/demo_pki.js";

const dir = mkdtempSync(join(tmpdir(), "gk-snapshot-"));
const config = join(dir, "config.yaml");
const deps = { now: () => new Date() };

beforeAll(async () => {
  const pki = await createDemoPki();
  writeFileSync(join(dir, "root.pem"), pki.root.pem);
  writeFileSync(
    join(dir, "policy.yaml"),
    "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n",
  );
  writeFileSync(join(dir, "proxy.key"), randomBytes(32).toString("base64"));
  writeFileSync(
    config,
    [
      "trust: { anchors: root.pem }",
      "policy: policy.yaml",
      "revocation: { enabled: false }",
      "sources: [header]",
      "trustedHops:",
      "  - cidrs: [127.0.0.1/32]",
      "    signature: { keys: [{ keyid: proxy-1, alg: hmac-sha256, file: proxy.key }] }",
    ].join("\n"),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("what a reload keeps", () => {
  it("keeps the certificate caches and sources when nothing they depend on changed", () => {
    const first = loadSnapshot(config, deps);
    const second = loadSnapshot(config, deps, first);
    expect(second.forwarding).toBe(first.forwarding);
    expect(second.gate.certificates).toBe(first.gate.certificates);
  });

  it("rebuilds the sources when a signature key file is edited in place", () => {
    const first = loadSnapshot(config, deps);
    writeFileSync(join(dir, "proxy.key"), randomBytes(32).toString("base64"));
    const second = loadSnapshot(config, deps, first);
    expect(second.forwarding).not.toBe(first.forwarding);
    expect(second.gate.certificates).toBe(first.gate.certificates);
  });
});
