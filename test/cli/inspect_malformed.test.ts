/**
 * `qwac inspect` gives the service's answer for certificates the service refuses before trust: malformed
 * extensions and versions (CERT_MALFORMED, never "internal error", exit 2), a CT precertificate, and the
 * smaller report rules (attribute names, QSealC advice only for QSealCs, no query in the report).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Version } from "@peculiar/asn1-x509";
import { Extension } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/demo/certificate_factory.js";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import { withVersion } from "../support/reissue.js";
import { realPsd2Path } from "../support/shared_fixtures.js";
import { type CliPki, tpp, write, writeCliPki } from "./pki.js";
import { json, runQwac, STACK_LINE, stopRunningQwac } from "./support.js";

interface Problem {
  check: string;
  reason: string;
  action: string;
}

interface Report {
  verdict: string;
  certificate: { subject: string; issuer: string };
  checks: Record<string, { status: string; reason: string | null; path?: string } | null>;
  problems: Problem[];
}

const dir = mkdtempSync(join(tmpdir(), "qwac-cli-malformed-"));
let pki: CliPki;
const files: Record<string, string> = {};

/** A SEQUENCE that claims 3 bytes and holds an element claiming 5: no extension schema decodes it. */
const UNDECODABLE = new Uint8Array([0x30, 0x03, 0x82, 0x05, 0x41]);

const EXTENSIONS: [string, string][] = [
  ["basicConstraints", "2.5.29.19"],
  ["keyUsage", "2.5.29.15"],
  ["extKeyUsage", "2.5.29.37"],
  ["subjectKeyIdentifier", "2.5.29.14"],
  ["authorityKeyIdentifier", "2.5.29.35"],
  ["subjectAltName", "2.5.29.17"],
  ["cRLDistributionPoints", "2.5.29.31"],
  ["authorityInfoAccess", "1.3.6.1.5.5.7.1.1"],
  ["certificatePolicies", "2.5.29.32"],
];

beforeAll(async () => {
  pki = await writeCliPki(dir);
  for (const [name, oid] of EXTENSIONS) {
    // The generator's own copies of these extensions are left out, so the broken one is the only one.
    const cert = await issueCertificate({
      ...tpp("PSDFR-ACPR-12345", "Broken SAS", ["PSP_AI"]),
      issuer: pki.intermediate,
      keyUsage: [],
      extKeyUsage: [],
      subjectKeyIdentifier: false,
      authorityKeyIdentifier: false,
      extraExtensions: [new Extension(oid, false, UNDECODABLE)],
    });
    files[name] = write(dir, `broken-${name}.pem`, cert.pem);
  }
  const good = await issueCertificate({
    ...tpp("PSDFR-ACPR-12346", "Old SAS", ["PSP_AI"]),
    issuer: pki.intermediate,
  });
  files.v1 = write(
    dir,
    "v1-with-extensions.pem",
    withVersion(good.cert, Version.v1, pki.intermediate).toString("pem"),
  );
  const plain = await issueCertificate({
    subject: "CN=plain.example, O=Plain SAS, C=FR",
    issuer: pki.intermediate,
  });
  files.plain = write(dir, "plain.pem", plain.pem);
  files.config = write(
    dir,
    "config.yaml",
    [
      "trust: { anchors: root.pem, intermediates: intermediates.pem }",
      `policy: ${join(PROJECT_ROOT, "policies", "berlin-group.yaml")}`,
      "revocation: { enabled: false }",
      "",
    ].join("\n"),
  );
});

afterAll(() => {
  stopRunningQwac();
  rmSync(dir, { recursive: true, force: true });
});

/** Text and --json, side by side: both must name the reason, neither may end in an internal error. */
async function inspectBoth(args: string[]) {
  const [text, report] = await Promise.all([
    runQwac(["inspect", ...args]),
    runQwac(["inspect", ...args, "--json"]),
  ]);
  for (const run of [text, report]) {
    expect(run.stderr).not.toContain("internal error");
    expect(run.stdout).not.toMatch(STACK_LINE);
    expect(run.code).toBe(1);
  }
  return { text: text.stdout, report: json<Report>(report) };
}

describe("a malformed extension is CERT_MALFORMED, as the service answers, in text and --json", () => {
  for (const [name] of EXTENSIONS) {
    it(`reports a malformed ${name} as CERT_MALFORMED, exit 1`, async () => {
      const { text, report } = await inspectBoth([files[name]!]);
      expect(text).toContain("[CERT_MALFORMED]");
      expect(report.verdict).toBe("bad");
      expect(report.checks.structure).toMatchObject({ status: "fail", reason: "CERT_MALFORMED" });
      expect(report.problems.map((problem) => problem.reason)).toEqual(["CERT_MALFORMED"]);
    });
  }

  it("reports the real ING sandbox QSealC with a malformed authorityKeyIdentifier as CERT_MALFORMED", async () => {
    const { text, report } = await inspectBoth([realPsd2Path("15-ing-sandbox-qsealc.pem")]);
    expect(text).toContain("[CERT_MALFORMED]");
    expect(text).toContain("AuthorityKeyIdentifier");
    expect(report.checks.structure).toMatchObject({ status: "fail", reason: "CERT_MALFORMED" });
  });

  it("reports a version 1 certificate carrying extensions as CERT_MALFORMED (RFC 5280 4.1.2.1)", async () => {
    const { text, report } = await inspectBoth([files.v1!]);
    expect(text).toContain("version 1 certificate carries extensions");
    expect(report.checks.structure).toMatchObject({ status: "fail", reason: "CERT_MALFORMED" });
  });

  it("gives the same reason with --config, where the service's own pipeline decides", async () => {
    const { report } = await inspectBoth([
      files.subjectAltName!,
      "-c",
      files.config!,
      "-X",
      "GET",
      "-p",
      "/v1/accounts",
    ]);
    expect(report.checks.structure).toMatchObject({ reason: "CERT_MALFORMED" });
    expect(report.checks.decision).toMatchObject({ status: "fail", reason: "CERT_MALFORMED" });
  });
});

describe("without --config, the leaf rules that need no trust still apply", () => {
  it("judges a CT precertificate (critical poison extension) bad, as the service does", async () => {
    // At a time inside its validity, so that only the poison extension can make it bad.
    const { text, report } = await inspectBoth([
      realPsd2Path("06-quovadis-moneymonk-qwac-precert.pem"),
      "--at",
      "2024-01-01",
    ]);
    expect(report.verdict).toBe("bad");
    expect(report.checks.structure).toMatchObject({ status: "fail", reason: "CERT_CHAIN_INVALID" });
    expect(text).toContain(
      "unsupported critical extension 1.3.6.1.4.1.11129.2.4.3 (CT precertificate poison: this is a precertificate",
    );
    // The service's own detail names the leaf as on-call reads it, not by dotted OIDs.
    expect(text).toContain(
      'leaf "jurisdictionC=NL, businessCategory=Private Organization, serialNumber=60385014',
    );
    expect(text).not.toContain("2.5.4.97=");
  });

  it("passes the structure check of a sound QWAC", async () => {
    const report = json<Report>(await runQwac(["inspect", pki.files.ai, "--json"]));
    expect(report.checks.structure).toMatchObject({ status: "pass", reason: null });
  });
});

describe("the report itself", () => {
  it("names the subject attributes QWACs carry instead of printing OIDs", async () => {
    const run = await runQwac(["inspect", realPsd2Path("06-quovadis-moneymonk-qwac-precert.pem"), "--json"]);
    const subject = json<Report>(run).certificate.subject;
    expect(subject).toContain("organizationIdentifier=PSDNL-DNB-R161162");
    expect(subject).toContain("jurisdictionC=NL");
    expect(subject).toContain("businessCategory=Private Organization");
    expect(subject).toContain("serialNumber=60385014");
    expect(subject).not.toMatch(/\d+\.\d+\.\d+\.\d+=/);
  });

  it("gives the QSealC advice for a QSealC only", async () => {
    const seal = json<Report>(await runQwac(["inspect", pki.files.qseal, "--json"]));
    const plain = json<Report>(await runQwac(["inspect", files.plain!, "--json"]));
    expect(seal.problems.find((problem) => problem.reason === "CERT_NOT_QWAC")?.action).toContain(
      "This is a QSealC",
    );
    const notQwac = plain.problems.find((problem) => problem.reason === "CERT_NOT_QWAC");
    expect(notQwac).toBeDefined();
    expect(notQwac?.action).not.toContain("QSealC");
  });

  it("keeps the query of --path out of the report, text and --json", async () => {
    const iban = "DE89370400440532013000";
    const args = [pki.files.ai, "-c", files.config!, "-X", "GET", "-p", `/v1/accounts?iban=${iban}`];
    const [text, report] = await Promise.all([
      runQwac(["inspect", ...args]),
      runQwac(["inspect", ...args, "--json"]),
    ]);
    expect(text.stdout).toContain("GET /v1/accounts");
    expect(text.stdout).not.toContain(iban);
    expect(report.stdout).not.toContain(iban);
    expect(json<Report>(report).checks.decision).toMatchObject({ status: "pass", path: "/v1/accounts" });
  });
});
