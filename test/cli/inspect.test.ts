import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate, psd2Roles } from "../../src/demo/certificate_factory.js";
import { realPsd2Path } from "../support/shared_fixtures.js";
import { AI_URLS, type CliPki, DAY_MS, QEVCP_W, write, writeCliPki } from "./pki.js";
import { json, runQwac, STACK_LINE, spawnQwac, stopRunningQwac } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "qwac-cli-"));
let pki: CliPki;

beforeAll(async () => {
  pki = await writeCliPki(dir);
});

afterAll(() => {
  stopRunningQwac();
  rmSync(dir, { recursive: true, force: true });
});

interface Report {
  verdict: string;
  input: { format: string; offeredCertificates: number };
  certificate: Record<string, unknown> & { sha256: string; publicKey: Record<string, unknown> };
  validity: { state: string; daysLeft: number; notAfter: string };
  psd2: Record<string, unknown>;
  qcStatements: Record<string, unknown>;
  checks: Record<string, { status: string; reason: string | null; summary: string } | null>;
  problems: { reason: string; message: string; actor: string; action: string }[];
}

function sha256(der: ArrayBuffer): string {
  return createHash("sha256").update(new Uint8Array(der)).digest("hex");
}

describe("qwac inspect reads what a QWAC says", () => {
  it("prints a good QWAC's organisation, roles, NCA, fingerprint and URLs, and exits 0", async () => {
    const run = await runQwac(["inspect", pki.files.ai]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^GOOD: Account Info SAS \(PSDFR-ACPR-12345\)/);
    for (const text of [
      "PSDFR-ACPR-12345",
      "PSP_AI",
      "NCA FR-ACPR (FR-ACPR)",
      "web (QWAC)",
      sha256(pki.ai.cert.rawData),
      AI_URLS.ocsp,
      AI_URLS.caIssuers,
      AI_URLS.crl,
      AI_URLS.pds,
      "RSA 2048 bits",
      "QEVCP-w",
    ]) {
      expect(run.stdout).toContain(text);
    }
    expect(run.stdout).toMatch(/\(36[45] days left\)/);
  });

  it("gives the same facts as a stable JSON report with --json", async () => {
    const run = await runQwac(["inspect", pki.files.ai, "--json"]);
    expect(run.code).toBe(0);
    const report = json<Report>(run);
    expect(report).toMatchObject({
      format: "qwac-inspect/1",
      verdict: "good",
      input: { format: "pem", offeredCertificates: 0 },
      config: null,
      certificate: {
        subject:
          "CN=account-info-sas.example, O=Account Info SAS, organizationIdentifier=PSDFR-ACPR-12345, C=FR",
        issuer: "CN=Test QTSP QWAC CA, O=Test QTSP, C=EU",
        serialNumber: pki.ai.cert.serialNumber.toLowerCase(),
        sha256: sha256(pki.ai.cert.rawData),
        publicKey: { algorithm: "RSA", bits: 2048, curve: null },
        policies: [{ oid: QEVCP_W, name: expect.stringContaining("QEVCP-w") }],
        ocspUrls: [AI_URLS.ocsp],
        caIssuersUrls: [AI_URLS.caIssuers],
        crlUrls: [AI_URLS.crl],
      },
      validity: { state: "valid", notAfter: pki.ai.cert.notAfter.toISOString() },
      psd2: {
        organizationName: "Account Info SAS",
        organizationIdentifier: "PSDFR-ACPR-12345",
        roles: ["PSP_AI"],
        unknownRoleOids: [],
        ncaName: "NCA FR-ACPR",
        ncaId: "FR-ACPR",
        problems: [],
      },
      qcStatements: {
        compliance: true,
        sscd: false,
        types: ["web"],
        pds: [{ url: AI_URLS.pds, language: "en" }],
      },
      checks: {
        structure: { status: "pass", reason: null },
        qwac: { status: "pass", reason: null },
        validity: { status: "pass", reason: null },
        chain: null,
        revocation: null,
        decision: null,
      },
      problems: [],
    });
  });

  it("reads DER input to the same certificate as its PEM", async () => {
    const report = json<Report>(await runQwac(["inspect", pki.files.aiDer, "--json"]));
    expect(report.input.format).toBe("der");
    expect(report.certificate.sha256).toBe(sha256(pki.ai.cert.rawData));
  });

  it("reads the certificate from stdin with - (a real process, stdin a pipe)", async () => {
    const run = await spawnQwac(["inspect", "-", "--json"], readFileSync(pki.files.pi));
    expect(run.code).toBe(0);
    expect(json<Report>(run).psd2).toMatchObject({
      organizationIdentifier: "PSDDE-BAFIN-20002",
      roles: ["PSP_PI"],
    });
  });

  it("reads Envoy's percent-encoded PEM, as copied from a log line", async () => {
    const file = write(dir, "envoy.txt", encodeURIComponent(pki.ai.pem));
    const report = json<Report>(await runQwac(["inspect", file, "--json"]));
    expect(report.input.format).toBe("percent-encoded-pem");
    expect(report.certificate.sha256).toBe(sha256(pki.ai.cert.rawData));
  });

  it("takes the first certificate of a PEM bundle as the leaf and counts the rest", async () => {
    const report = json<Report>(await runQwac(["inspect", pki.files.bundle, "--json"]));
    expect(report.certificate.sha256).toBe(sha256(pki.ai.cert.rawData));
    expect(report.input.offeredCertificates).toBe(1);
  });
});

describe("qwac inspect says clearly what is wrong", () => {
  it("reports an expired QWAC as EXPIRED with what the TPP must do, exit 1", async () => {
    const run = await runQwac(["inspect", pki.files.expired]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^BAD: Expired SAS/);
    expect(run.stdout).toMatch(/EXPIRED on \S+ \(35 days ago\)/);
    expect(run.stdout).toContain("TPP: The TPP must obtain a new QWAC");
  });

  it("reports a QWAC as expired at a later --at date (will it still work next year?)", async () => {
    const nextYear = new Date(Date.now() + 400 * DAY_MS).toISOString();
    const run = await runQwac(["inspect", pki.files.ai, "--at", nextYear, "--json"]);
    expect(run.code).toBe(1);
    const report = json<Report>(run);
    expect(report.validity.state).toBe("expired");
    expect(report.checks.validity).toMatchObject({ status: "fail", reason: "CERT_EXPIRED" });
  });

  it("reports NOT YET VALID at an --at date before notBefore", async () => {
    const run = await runQwac(["inspect", pki.files.ai, "--at", "2001-01-01"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("NOT YET VALID");
  });

  it("refuses a QSealC as not a QWAC, naming its QcType, exit 1", async () => {
    const run = await runQwac(["inspect", pki.files.qseal]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("[CERT_NOT_QWAC]");
    expect(run.stdout).toContain(
      "not a qualified website authentication certificate (QWAC): QcType is eseal, not web",
    );
    expect(run.stdout).toContain("eseal (QSealC)");
  });

  it("says a garbage file is not a certificate, without a stack trace, exit 1", async () => {
    const file = write(dir, "garbage.bin", Buffer.from("\u0001\u0002 this is not a certificate \u00ff"));
    const run = await runQwac(["inspect", file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `qwac: ${file}: not a readable certificate: neither PEM, DER nor base64: not a certificate\n`,
    );
  });

  it("says which PEM block a file holds when it is a key, not a certificate", async () => {
    const run = await runQwac(["inspect", pki.files.key, "--json"]);
    expect(run.code).toBe(1);
    expect(json(run)).toMatchObject({
      verdict: "bad",
      error: { reason: "CERT_MALFORMED", detail: "no CERTIFICATE block; the input holds: PRIVATE KEY" },
    });
  });

  it("says a truncated DER certificate is truncated, without a stack trace", async () => {
    const file = write(dir, "truncated.der", Buffer.from(pki.ai.cert.rawData).subarray(0, 200));
    const run = await runQwac(["inspect", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("truncated");
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it("treats a missing file as a usage error, exit 2", async () => {
    const run = await spawnQwac(["inspect", join(dir, "no-such.pem")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`qwac: cannot read ${join(dir, "no-such.pem")}: ENOENT\n`);
  });
});

describe("qwac inspect prints certificate text harmlessly", () => {
  it("escapes control characters, line breaks and bidi overrides a QTSP customer put in the certificate", async () => {
    const hostile = await issueCertificate({
      subject: "CN=tpp.example, O=Hostile SAS, 2.5.4.97=PSDFR-ACPR-99999, C=FR",
      issuer: pki.intermediate,
      qc: {
        types: ["web"],
        psd2: {
          roles: psd2Roles("PSP_AI"),
          ncaName: "NCA\u001b[2J\nGOOD: forged \u202eline",
          ncaId: "FR-ACPR",
        },
      },
    });
    const run = await runQwac(["inspect", write(dir, "hostile.pem", hostile.pem)]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("\u001b");
    expect(run.stdout).not.toContain("\u202e");
    expect(run.stdout).not.toMatch(/^GOOD: forged/m);
    expect(run.stdout).toContain("NCA\\u{1b}[2J\\u{a}GOOD: forged \\u{202e}line (FR-ACPR)");
  });
});

describe("qwac usage errors exit 2 with a hint, never a stack", () => {
  it("prints the usage when no command is given", async () => {
    const run = await spawnQwac([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("qwac: no command given");
    expect(run.stderr).toContain("qwac inspect FILE");
  });

  it("points at --help for a wrong option", async () => {
    const run = await runQwac([
      "inspect",
      pki.files.ai,
      "--method",
      "get",
      "--path",
      "/v1/accounts",
      "-c",
      "c.yaml",
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'qwac: --method "get": HTTP methods are case-sensitive tokens (did you mean GET?)\n' +
        '(run "qwac --help" for usage)\n',
    );
  });

  it("prints the usage on --help, exit 0", async () => {
    const run = await spawnQwac(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("qwac inspect FILE");
  });
});

describe("qwac inspect on a real QWAC", () => {
  const creditas = realPsd2Path("03-ica-creditas-qwac.pem");

  it("reads the I.CA QWAC of Banka CREDITAS: four roles, Czech National Bank, expired today", async () => {
    const run = await runQwac(["inspect", creditas, "--json"]);
    expect(run.code).toBe(1);
    expect(json<Report>(run)).toMatchObject({
      verdict: "bad",
      certificate: {
        serialNumber: "02aa20dfefb389a074",
        ocspUrls: ["http://ocsp.ica.cz/qcw17_rsa"],
        caIssuersUrls: ["http://q.ica.cz/qcw17_rsa.cer"],
        crlUrls: [
          "http://qcrldp1.ica.cz/qcw17_rsa.crl",
          "http://qcrldp2.ica.cz/qcw17_rsa.crl",
          "http://qcrldp3.ica.cz/qcw17_rsa.crl",
        ],
      },
      psd2: {
        organizationName: "Banka CREDITAS a.s.",
        organizationIdentifier: "PSDCZ-CNB-63492555",
        roles: ["PSP_AS", "PSP_PI", "PSP_AI", "PSP_IC"],
        ncaName: "Czech National Bank",
        ncaId: "CZ-CNB",
      },
      qcStatements: { compliance: true, types: ["web"] },
      checks: { qwac: { status: "pass" }, validity: { status: "fail", reason: "CERT_EXPIRED" } },
      problems: [{ reason: "CERT_EXPIRED" }],
    });
  });

  it("finds it good at a date inside its validity", async () => {
    const run = await runQwac(["inspect", creditas, "--at", "2020-06-01T00:00:00Z"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^GOOD: Banka CREDITAS a\.s\. \(PSDCZ-CNB-63492555\)/);
  });
});
