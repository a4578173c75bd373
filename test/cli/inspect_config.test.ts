import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509CrlGenerator, X509CrlReason } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IssuedCertificate, issueCertificate } from "../../src/demo/certificate_factory.js";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import { listenOnLoopback } from "../support/ports.js";
import { type CliPki, tpp, write, writeCliPki } from "./pki.js";
import { json, runQwac, STACK_LINE, stopRunningQwac } from "./support.js";

/**
 * `inspect --config`: the chain, revocation and decision come from the service's own snapshot and core,
 * loaded from a real config file with the shipped Berlin Group policy and a test QTSP.
 */

const dir = mkdtempSync(join(tmpdir(), "qwac-cli-config-"));
const BERLIN_GROUP = join(PROJECT_ROOT, "policies", "berlin-group.yaml");
const HOUR_MS = 3_600_000;

let pki: CliPki;
let crlServer: Server;
let revoked: IssuedCertificate;
let notRevoked: IssuedCertificate;
let crlMissing: IssuedCertificate;
const config: Record<"plain" | "rootOnly" | "dryRun" | "revocation" | "brokenPolicy" | "sni", string> = {
  plain: "",
  sni: "",
  rootOnly: "",
  dryRun: "",
  revocation: "",
  brokenPolicy: "",
};

/** A config file next to the PKI; `revocation: enabled: false` unless the test is about revocation. */
function configFile(name: string, lines: string[]): string {
  return write(dir, name, `${lines.join("\n")}\n`);
}

beforeAll(async () => {
  pki = await writeCliPki(dir);
  const crlUrl = await serveCrl();
  revoked = await issueCertificate({
    ...tpp("PSDFR-ACPR-70007", "Revoked SAS", ["PSP_AI"]),
    issuer: pki.intermediate,
    crlDistributionPointUrl: crlUrl,
  });
  notRevoked = await issueCertificate({
    ...tpp("PSDFR-ACPR-80008", "Still Good SAS", ["PSP_AI"]),
    issuer: pki.intermediate,
    crlDistributionPointUrl: crlUrl,
  });
  crlMissing = await issueCertificate({
    ...tpp("PSDFR-ACPR-90009", "No CRL SAS", ["PSP_AI"]),
    issuer: pki.intermediate,
    crlDistributionPointUrl: crlUrl.replace("/ca.crl", "/missing.crl"),
  });
  crl = Buffer.from(
    (
      await X509CrlGenerator.create({
        issuer: pki.intermediate.cert.subjectName,
        thisUpdate: new Date(Date.now() - HOUR_MS),
        nextUpdate: new Date(Date.now() + HOUR_MS),
        entries: [
          {
            serialNumber: revoked.cert.serialNumber,
            revocationDate: new Date(Date.now() - HOUR_MS),
            reason: X509CrlReason.keyCompromise,
          },
        ],
        signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
        signingKey: pki.intermediate.keys.privateKey,
      })
    ).rawData,
  );
  write(dir, "revoked.pem", revoked.pem);
  write(dir, "not-revoked.pem", notRevoked.pem);
  write(dir, "crl-missing.pem", crlMissing.pem);

  const trust = ["trust:", "  anchors: root.pem", "  intermediates: intermediates.pem"];
  const noRevocation = ["revocation:", "  enabled: false"];
  config.plain = configFile("config.yaml", [...trust, `policy: ${BERLIN_GROUP}`, ...noRevocation]);
  config.sni = configFile("sni.yaml", [
    ...trust,
    `policy: ${BERLIN_GROUP}`,
    ...noRevocation,
    "sni:",
    "  required: true",
    "  hosts: [api.bank.example]",
  ]);
  config.rootOnly = configFile("root-only.yaml", [
    "trust:",
    "  anchors: root.pem",
    `policy: ${BERLIN_GROUP}`,
    ...noRevocation,
  ]);
  write(
    dir,
    "dry-run-policy.yaml",
    [
      "version: 1",
      "rules:",
      "  - { id: ais-accounts, methods: [GET], path: /v1/accounts/**, roles: [PSP_AI], mode: dry-run }",
      "",
    ].join("\n"),
  );
  config.dryRun = configFile("dry-run.yaml", [...trust, "policy: dry-run-policy.yaml", ...noRevocation]);
  // A generous wait: the test is about the answer, not the service's 100 ms budget.
  config.revocation = configFile("revocation.yaml", [
    ...trust,
    `policy: ${BERLIN_GROUP}`,
    "revocation:",
    "  timeoutMs: 5000",
    "  fetchTimeoutMs: 5000",
  ]);
  write(
    dir,
    "broken-policy.yaml",
    "version: 1\nrules:\n  - { id: x, methods: [GET], path: /v1/a, roles: [PSP_XX] }\n",
  );
  config.brokenPolicy = configFile("broken.yaml", [...trust, "policy: broken-policy.yaml", ...noRevocation]);
});

let crl = Buffer.alloc(0);

/** The QTSP's CRL distribution point, on loopback. */
function serveCrl(): Promise<string> {
  crlServer = createServer((request, response) => {
    if (request.url !== "/ca.crl") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/pkix-crl" }).end(crl);
  });
  return listenOnLoopback(crlServer).then((port) => `http://127.0.0.1:${port}/ca.crl`);
}

afterAll(async () => {
  stopRunningQwac();
  await new Promise((resolve) => crlServer?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

interface Check {
  status: string;
  reason: string | null;
  summary: string;
  detail: string | null;
}

interface Report {
  verdict: string;
  config: string | null;
  checks: {
    chain: (Check & { path: string[] }) | null;
    revocation: (Check & { revocationStatus: string | null; source: string | null }) | null;
    decision: (Check & Record<string, unknown>) | null;
  };
  problems: { reason: string; message: string; actor: string }[];
}

describe("qwac inspect --config verifies the chain against the configured trust", () => {
  it("finds a QWAC of the configured QTSP good, with its path to the anchor", async () => {
    const run = await runQwac(["inspect", pki.files.ai, "--config", config.plain, "--json"]);
    expect(run.code).toBe(0);
    const report = json<Report>(run);
    expect(report.config).toBe(config.plain);
    expect(report.checks.chain).toMatchObject({
      status: "pass",
      // Named attributes, as in the certificate section (organizationIdentifier, not 2.5.4.97).
      path: [
        "CN=account-info-sas.example, O=Account Info SAS, organizationIdentifier=PSDFR-ACPR-12345, C=FR",
        pki.intermediate.cert.subject,
        pki.root.cert.subject,
      ],
    });
    expect(report.checks.revocation).toMatchObject({
      status: "skipped",
      summary: expect.stringContaining("enabled: false"),
    });
  });

  it("denies a QWAC of an unknown QTSP as CERT_UNTRUSTED, exit 1", async () => {
    const run = await runQwac(["inspect", pki.files.untrusted, "-c", config.plain]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("[CERT_UNTRUSTED]");
    expect(run.stdout).toContain("TPP or gateway operator: If the issuing QTSP is on the EU Trusted List");
  });

  it("says an issuing CA offered in the file must go into trust.intermediates: Envoy sends only the leaf", async () => {
    const run = await runQwac(["inspect", pki.files.bundle, "-c", config.rootOnly, "--json"]);
    expect(run.code).toBe(1);
    const chain = json<Report>(run).checks.chain;
    expect(chain).toMatchObject({ status: "fail", reason: "CERT_UNTRUSTED" });
    expect(chain?.detail).toContain(
      `Envoy passes only the leaf: add "${pki.intermediate.cert.subject}" to trust.intermediates`,
    );
  });

  it("reports a bad config as the service does, exit 2", async () => {
    const run = await runQwac(["inspect", pki.files.ai, "-c", config.brokenPolicy]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^config error: .*broken-policy\.yaml: rules\.0\.roles\.0: unknown role PSP_XX/,
    );
    expect(run.stderr).not.toMatch(STACK_LINE);
  });
});

describe("qwac inspect --method --path gives the service's decision", () => {
  it("allows GET /v1/accounts for PSP_AI under rule ais-accounts, exit 0", async () => {
    const run = await runQwac([
      "inspect",
      pki.files.ai,
      "-c",
      config.plain,
      "-X",
      "GET",
      "-p",
      "/v1/accounts",
      "--json",
    ]);
    expect(run.code).toBe(0);
    expect(json<Report>(run).checks.decision).toMatchObject({
      status: "pass",
      allowed: true,
      method: "GET",
      path: "/v1/accounts",
      ruleId: "ais-accounts",
      httpStatus: null,
      requiredRoles: ["PSP_AI"],
      certificateRoles: ["PSP_AI"],
    });
  });

  it("denies GET /v1/accounts for PSP_PI with ROLE_NOT_ALLOWED, HTTP 401 ROLE_INVALID, and says why", async () => {
    const args = ["inspect", pki.files.pi, "-c", config.plain, "--method", "GET", "--path", "/v1/accounts"];
    const [text, jsonRun] = await Promise.all([runQwac(args), runQwac([...args, "--json"])]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      "the PSD2 role PSP_AI is required for GET /v1/accounts (rule ais-accounts); the certificate has PSP_PI " +
        "(the service answers HTTP 401 ROLE_INVALID)",
    );
    expect(json<Report>(jsonRun).checks.decision).toMatchObject({
      status: "fail",
      allowed: false,
      reason: "ROLE_NOT_ALLOWED",
      httpStatus: 401,
      code: "ROLE_INVALID",
      ruleId: "ais-accounts",
    });
  });

  it("denies an expired QWAC with CERT_EXPIRED, HTTP 401, reported once", async () => {
    const run = await runQwac([
      "inspect",
      pki.files.expired,
      "-c",
      config.plain,
      "-X",
      "GET",
      "-p",
      "/v1/accounts",
      "--json",
    ]);
    expect(run.code).toBe(1);
    const report = json<Report>(run);
    expect(report.checks.decision).toMatchObject({
      reason: "CERT_EXPIRED",
      httpStatus: 401,
      code: "CERTIFICATE_EXPIRED",
    });
    expect(report.problems.map((problem) => problem.reason)).toEqual(["CERT_EXPIRED"]);
  });

  it("denies a path no rule permits with ROUTE_NOT_ALLOWED", async () => {
    const run = await runQwac([
      "inspect",
      pki.files.ai,
      "-c",
      config.plain,
      "-X",
      "DELETE",
      "-p",
      "/v1/accounts",
      "--json",
    ]);
    expect(run.code).toBe(1);
    expect(json<Report>(run).checks.decision).toMatchObject({ reason: "ROUTE_NOT_ALLOWED", httpStatus: 400 });
  });

  it("decides on certificate and path where the config checks SNI, and says SNI was not evaluated", async () => {
    const args = ["inspect", pki.files.ai, "-c", config.sni, "-X", "GET", "-p", "/v1/accounts", "--json"];
    const run = await runQwac(args);
    expect(run.code).toBe(0);
    expect(json<Report>(run).checks.decision).toMatchObject({
      allowed: true,
      detail: expect.stringContaining("SNI rules are not evaluated"),
    });
  });

  it("allows what a dry-run rule would deny, as the service does, and says what enforcing would do", async () => {
    const run = await runQwac([
      "inspect",
      pki.files.pi,
      "-c",
      config.dryRun,
      "-X",
      "GET",
      "-p",
      "/v1/accounts",
      "--json",
    ]);
    expect(run.code).toBe(0);
    expect(json<Report>(run).checks.decision).toMatchObject({
      status: "warn",
      allowed: true,
      wouldDeny: { reason: "ROLE_NOT_ALLOWED" },
    });
  });
});

describe("qwac inspect --config asks the configured revocation sources", () => {
  it("reports a certificate listed on its QTSP's CRL as revoked, exit 1", async () => {
    const file = join(dir, "revoked.pem");
    const run = await runQwac([
      "inspect",
      file,
      "-c",
      config.revocation,
      "-X",
      "GET",
      "-p",
      "/v1/accounts",
      "--json",
    ]);
    expect(run.code).toBe(1);
    const report = json<Report>(run);
    expect(report.checks.revocation).toMatchObject({
      status: "fail",
      reason: "CERT_REVOKED",
      revocationStatus: "revoked",
      source: "crl",
      // The service's own denial (revocationDenial): its words and its detail.
      summary: "The client certificate has been revoked",
      detail: expect.stringMatching(/^revoked at \S+, reason keyCompromise \(crl\)$/),
    });
    expect(report.checks.decision).toMatchObject({
      reason: "CERT_REVOKED",
      httpStatus: 401,
      code: "CERTIFICATE_REVOKE",
    });
  });

  it("reports a certificate absent from the CRL as not revoked, exit 0", async () => {
    const run = await runQwac(["inspect", join(dir, "not-revoked.pem"), "-c", config.revocation, "--json"]);
    expect(run.code).toBe(0);
    expect(json<Report>(run).checks.revocation).toMatchObject({
      status: "pass",
      revocationStatus: "good",
      source: "crl",
    });
  });

  it("skips revocation with --no-revocation, and the decision says it assumed not revoked", async () => {
    const file = join(dir, "revoked.pem");
    const run = await runQwac([
      "inspect",
      file,
      "-c",
      config.revocation,
      "--no-revocation",
      "-X",
      "GET",
      "-p",
      "/v1/accounts",
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Revocation: not checked (--no-revocation)");
    expect(run.stdout).toContain("(revocation not checked: --no-revocation)");
  });

  it("reports no verified answer under failMode hard as REVOCATION_UNAVAILABLE, for the operator to fix", async () => {
    const run = await runQwac(["inspect", join(dir, "crl-missing.pem"), "-c", config.revocation, "--json"]);
    expect(run.code).toBe(1);
    const report = json<Report>(run);
    expect(report.checks.revocation).toMatchObject({
      status: "fail",
      reason: "REVOCATION_UNAVAILABLE",
      revocationStatus: "unavailable",
      detail: expect.stringContaining("http-status"),
    });
    expect(report.problems).toMatchObject([{ reason: "REVOCATION_UNAVAILABLE", actor: "operator" }]);
  });
});
