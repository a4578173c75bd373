import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/demo/certificate_factory.js";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import { type CliPki, DAY_MS, write, writeCliPki } from "./pki.js";
import { json, runQwac, STACK_LINE, stopRunningQwac } from "./support.js";

/** `qwac check-config`: the service's own loading (loadSnapshot) of config, policy and trust, and a summary. */

const dir = mkdtempSync(join(tmpdir(), "qwac-cli-check-"));
const BERLIN_GROUP = join(PROJECT_ROOT, "policies", "berlin-group.yaml");
let pki: CliPki;
let good: string;

beforeAll(async () => {
  pki = await writeCliPki(dir);
  good = write(
    dir,
    "config.yaml",
    [
      "trust:",
      "  anchors: root.pem",
      "  intermediates: intermediates.pem",
      `policy: ${BERLIN_GROUP}`,
      "revocation:",
      "  failMode: soft",
      "  timeoutMs: 150",
      "",
    ].join("\n"),
  );
});

afterAll(() => {
  stopRunningQwac();
  rmSync(dir, { recursive: true, force: true });
});

interface Summary {
  config: string;
  policy: { rules: number; publicRoutes: number };
  trust: { anchors: { subject: string; notAfter: string }[]; intermediates: { subject: string }[] };
  revocation: Record<string, unknown>;
  warnings: string[];
}

describe("qwac check-config accepts a config the service would start with", () => {
  it("summarises anchors with expiry, intermediates, policy rules and revocation mode, exit 0", async () => {
    const run = await runQwac(["check-config", good]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`config ok: ${good}`);
    expect(run.stdout).toContain("10 rules (0 in dry-run), 0 public routes");
    expect(run.stdout).toContain(pki.root.cert.subject);
    expect(run.stdout).toContain(`expires ${pki.root.cert.notAfter.toISOString()}`);
    expect(run.stdout).toContain(pki.intermediate.cert.subject);
    expect(run.stdout).toContain("on, ocsp-then-crl, failMode soft, waits 150 ms");
  });

  it("names listeners, sources, SNI and audit, and prints each anchor on its own lines with no escaped newline", async () => {
    const file = write(
      dir,
      "listeners.yaml",
      [
        "listen: { host: 127.0.0.1, port: 9191 }",
        "http: { enabled: true, host: 127.0.0.1, port: 9192 }",
        "metrics: { enabled: false }",
        "trust: { anchors: root.pem, intermediates: intermediates.pem }",
        `policy: ${BERLIN_GROUP}`,
        "trustedHops: [{ cidrs: [127.0.0.1/32] }]",
        "sources: [peer, { header: x-client-cert }]",
        "sni: { required: true, hosts: [api.bank.example] }",
        "audit: { file: audit/decisions.log }",
        "",
      ].join("\n"),
    );
    const run = await runQwac(["check-config", file]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("\\u{a}");
    expect(run.stdout).toContain("  gRPC ext_authz: 127.0.0.1:9191\n");
    expect(run.stdout).toContain("  HTTP mode:      127.0.0.1:9192\n");
    expect(run.stdout).toContain("  Metrics:        off (metrics.enabled: false)\n");
    expect(run.stdout).toContain("  Sources:        peer, header x-client-cert\n");
    expect(run.stdout).toContain("  SNI:            required: api.bank.example\n");
    expect(run.stdout).toContain(`  Audit:          ${join(dir, "audit", "decisions.log")}\n`);
    expect(run.stdout).toContain(
      `\n    ${pki.root.cert.subject}\n      expires ${pki.root.cert.notAfter.toISOString()}`,
    );
  });

  it("does not warn that an intermediate which is also an anchor does not chain", async () => {
    write(dir, "root-and-intermediate.pem", `${pki.root.pem}\n${pki.intermediate.pem}`);
    const file = write(
      dir,
      "anchor-twice.yaml",
      `trust:\n  anchors: root.pem\n  intermediates: root-and-intermediate.pem\npolicy: ${BERLIN_GROUP}\n`,
    );
    const run = await runQwac(["check-config", file, "--json"]);
    expect(run.code).toBe(0);
    expect(json<Summary>(run).warnings).toEqual([]);
  });

  it("warns, as the service's start-up does, about dry-run and revocation off", async () => {
    const file = write(
      dir,
      "loose.yaml",
      `trust: { anchors: root.pem }\npolicy: ${BERLIN_GROUP}\nmode: dry-run\nrevocation: { enabled: false }\n`,
    );
    const run = await runQwac(["check-config", file, "--json"]);
    expect(json<Summary>(run).warnings).toEqual([
      "mode: dry-run: every denial is logged and counted, but the request is ALLOWED",
      "revocation.enabled: false: a revoked TPP certificate is admitted",
    ]);
  });

  it("gives the same summary as JSON with --json", async () => {
    const run = await runQwac(["check-config", good, "--json"]);
    expect(run.code).toBe(0);
    expect(json<Summary>(run)).toMatchObject({
      format: "qwac-check-config/1",
      config: good,
      policy: { rules: 10, publicRoutes: 0 },
      trust: {
        anchors: [{ subject: pki.root.cert.subject, notAfter: pki.root.cert.notAfter.toISOString() }],
        intermediates: [{ subject: pki.intermediate.cert.subject }],
      },
      revocation: { enabled: true, failMode: "soft", timeoutMs: 150 },
      warnings: [],
    });
  });

  it("warns about an anchor that expires within 30 days and an intermediate that reaches no anchor", async () => {
    const soon = await issueCertificate({
      subject: "CN=Expiring Root, O=Test QTSP, C=EU",
      isCa: true,
      notAfter: new Date(Date.now() + 10 * DAY_MS),
    });
    write(dir, "soon.pem", `${pki.root.pem}\n${soon.pem}`);
    const stray = await issueCertificate({ subject: "CN=Stray CA, O=Elsewhere, C=EU", isCa: true });
    const strayChild = await issueCertificate({
      subject: "CN=Stray Issuing CA, O=Elsewhere, C=EU",
      issuer: stray,
      isCa: true,
    });
    write(dir, "stray.pem", `${pki.intermediate.pem}\n${strayChild.pem}`);
    const file = write(
      dir,
      "warnings.yaml",
      `trust:\n  anchors: soon.pem\n  intermediates: stray.pem\npolicy: ${BERLIN_GROUP}\n`,
    );
    const run = await runQwac(["check-config", file, "--json"]);
    expect(run.code).toBe(0);
    expect(json<Summary>(run).warnings).toEqual([
      expect.stringMatching(
        /^anchor "CN=Expiring Root, O=Test QTSP, C=EU" expires on \S+ \((9|10) days left\)$/,
      ),
      'intermediate "CN=Stray Issuing CA, O=Elsewhere, C=EU" does not chain to any configured anchor',
    ]);
  });
});

describe("qwac check-config refuses what the service would refuse, exit 2", () => {
  it("names the policy file and key of a broken policy, in the service's words", async () => {
    write(
      dir,
      "broken-policy.yaml",
      "version: 1\nrules:\n  - { id: x, methods: [GET], path: /v1/a, roles: [PSP_XX] }\n",
    );
    const file = write(dir, "broken.yaml", "trust:\n  anchors: root.pem\npolicy: broken-policy.yaml\n");
    const run = await runQwac(["check-config", file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `config error: ${join(dir, "broken-policy.yaml")}: rules.0.roles.0: unknown role PSP_XX; ` +
        "expected one of PSP_AS, PSP_PI, PSP_AI, PSP_IC (line 3)\n",
    );
  });

  it("names the config key of a misspelt setting", async () => {
    const file = write(
      dir,
      "typo.yaml",
      `trust:\n  anchors: root.pem\npolicy: ${BERLIN_GROUP}\nrevocaton: {}\n`,
    );
    const run = await runQwac(["check-config", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`config error: ${file}: revocaton: unknown key (check the spelling) (line 4)\n`);
  });

  it("names the trust file that holds a leaf instead of a CA", async () => {
    const file = write(dir, "leaf-anchor.yaml", `trust:\n  anchors: ai.pem\npolicy: ${BERLIN_GROUP}\n`);
    const run = await runQwac(["check-config", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^config error: .*ai\.pem: trust\.anchors: .* is not a CA/);
  });

  it("names listen.host when it is no address of this machine, as the service's start would", async () => {
    // 192.0.2.1 (RFC 5737, documentation only) is on no interface: checked against the interfaces, no packet sent.
    const file = write(
      dir,
      "foreign-host.yaml",
      `listen: { host: 192.0.2.1 }\ntrust:\n  anchors: root.pem\npolicy: ${BERLIN_GROUP}\n`,
    );
    const run = await runQwac(["check-config", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `config error: ${file}: listen.host: 192.0.2.1 is not an address of this machine (EADDRNOTAVAIL)\n`,
    );
  });

  it("names audit.file when a file stands where its folder must be", async () => {
    write(dir, "not-a-folder", "");
    const file = write(
      dir,
      "audit-blocked.yaml",
      `trust:\n  anchors: root.pem\npolicy: ${BERLIN_GROUP}\naudit: { file: not-a-folder/audit.log }\n`,
    );
    const run = await runQwac(["check-config", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `config error: ${file}: audit.file: cannot create the folder ${join(dir, "not-a-folder")}: ` +
        "a file, not a folder, is in the way (EEXIST)\n",
    );
  });

  it("reports a missing config file without a stack trace", async () => {
    const run = await runQwac(["check-config", join(dir, "absent.yaml")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`config error: ${join(dir, "absent.yaml")}: cannot read: ENOENT\n`);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });
});
