import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommand } from "../../src/cli/args.js";
import { runInspect } from "../../src/cli/inspect.js";
import type { InspectReport } from "../../src/cli/report.js";
import { type IssuedCertificate, issueCertificate } from "../../src/demo/certificate_factory.js";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import { ASI, STATUS, signedTsl } from "../trust/trusted_lists/tl_builder.js";
import { tpp, write } from "./pki.js";

/**
 * `inspect --config` under `trust.trustedLists`, in process: lists of our own (signed by xmlsec1, an
 * independent XML-DSig implementation) in the service's on-disk store, read as the service reads them at
 * start; the qualification and the decision come from the service's own ListTrust and Gatekeeper.
 */

const d = (s: string): Date => new Date(`${s}T00:00:00Z`);
const AT = d("2025-06-01");
const dir = mkdtempSync(join(tmpdir(), "qwac-cli-lists-"));
const BERLIN_GROUP = join(PROJECT_ROOT, "policies", "berlin-group.yaml");
const files: Record<"granted" | "withdrawn" | "unlisted" | "private", string> = {
  granted: "",
  withdrawn: "",
  unlisted: "",
  private: "",
};
let config: string;

async function qwacFrom(ca: IssuedCertificate, org: string, name: string): Promise<IssuedCertificate> {
  return issueCertificate({
    ...tpp(org, name, ["PSP_AI"]),
    issuer: ca,
    notBefore: d("2025-01-15"),
    notAfter: d("2026-01-15"),
  });
}

beforeAll(async () => {
  const validity = { notBefore: d("2020-01-01"), notAfter: d("2030-01-01") };
  const oj = await issueCertificate({ subject: "CN=Test OJ LOTL signer, C=EU", ...validity });
  const aaSigner = await issueCertificate({ subject: "CN=AA TL signer, C=AA", ...validity });
  const granted = await issueCertificate({ subject: "CN=AA Granted QWAC CA, C=AA", isCa: true, ...validity });
  const withdrawn = await issueCertificate({
    subject: "CN=AA Lapsed QWAC CA, C=AA",
    isCa: true,
    ...validity,
  });
  const unlisted = await issueCertificate({ subject: "CN=Nowhere QWAC CA, C=ZZ", isCa: true, ...validity });
  const privateRoot = await issueCertificate({
    subject: "CN=Private Test Root, C=ZZ",
    isCa: true,
    ...validity,
  });
  const cacheDir = join(dir, "lists");
  mkdirSync(join(cacheDir, "tl"), { recursive: true });
  const tlFile = join(cacheDir, "tl", "AA.xml");
  const lists = { issued: d("2025-05-01"), nextUpdate: d("2025-11-01") };
  write(
    cacheDir,
    "lotl.xml",
    Buffer.from(
      await signedTsl(
        {
          territory: "EU",
          sequence: 300,
          ...lists,
          pointers: [
            { location: join(cacheDir, "lotl.xml"), territory: "EU", signers: [oj.cert], lotl: true },
            { location: tlFile, territory: "AA", signers: [aaSigner.cert] },
          ],
        },
        oj,
      ),
    ),
  );
  const wsa = [ASI("ForWebSiteAuthentication")];
  write(
    join(cacheDir, "tl"),
    "AA.xml",
    Buffer.from(
      await signedTsl(
        {
          territory: "AA",
          sequence: 7,
          ...lists,
          providers: [
            {
              name: "AA Trust Services",
              services: [
                {
                  name: "AA QWAC",
                  ca: granted.cert,
                  status: STATUS("granted"),
                  since: d("2020-01-01"),
                  asi: wsa,
                },
                {
                  name: "AA Lapsed QWAC",
                  ca: withdrawn.cert,
                  status: STATUS("withdrawn"),
                  since: d("2025-03-01"),
                  asi: wsa,
                  history: [{ status: STATUS("granted"), since: d("2020-01-01"), asi: wsa }],
                },
              ],
            },
          ],
        },
        aaSigner,
      ),
    ),
  );
  write(dir, "oj.pem", oj.pem);
  write(dir, "private-root.pem", privateRoot.pem);
  files.granted = write(dir, "granted.pem", (await qwacFrom(granted, "PSDFR-ACPR-10001", "Listed SAS")).pem);
  files.withdrawn = write(
    dir,
    "withdrawn.pem",
    (await qwacFrom(withdrawn, "PSDFR-ACPR-20002", "Lapsed SAS")).pem,
  );
  files.unlisted = write(
    dir,
    "unlisted.pem",
    (await qwacFrom(unlisted, "PSDFR-ACPR-30003", "Nowhere SAS")).pem,
  );
  files.private = write(
    dir,
    "private.pem",
    (await qwacFrom(privateRoot, "PSDFR-ACPR-40004", "Private SAS")).pem,
  );
  config = write(
    dir,
    "gatekeeper.yaml",
    [
      "trust:",
      "  anchors: private-root.pem",
      "  trustedLists: { lotl: lists/lotl.xml, lotlSigners: oj.pem, cacheDir: lists }",
      `policy: ${BERLIN_GROUP}`,
      "revocation: { enabled: false }",
      "",
    ].join("\n"),
  );
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `qwac inspect ARGS` in this process, the clock at AT (stdin is never read: every case is a file). */
async function qwacInspect(args: readonly string[]): Promise<{ code: number; stdout: string }> {
  const parsed = parseCommand(["inspect", ...args]);
  if (!parsed.ok || parsed.command.kind !== "inspect") throw new Error(`not an inspect command: ${args}`);
  const out = await runInspect(parsed.command, {
    now: () => AT,
    stdin: Readable.from([]),
    stdinIsTerminal: true,
  });
  return { code: out.exitCode, stdout: out.stdout };
}

function inspect(file: string, ...extra: string[]): Promise<{ code: number; stdout: string }> {
  return qwacInspect(["--config", config, "--at", AT.toISOString(), ...extra, file]);
}

async function report(file: string, ...extra: string[]): Promise<InspectReport> {
  return JSON.parse((await inspect(file, "--json", ...extra)).stdout) as InspectReport;
}

describe("qwac inspect --config with trust.trustedLists", () => {
  it("reports which list, TSP and service qualify a QWAC, its status at issuance and now, and the rule", async () => {
    const r = await report(files.granted, "--method", "GET", "--path", "/v1/accounts");
    expect(r.qualification).toMatchObject({
      ready: true,
      listed: true,
      qualified: true,
      territory: "AA",
      sequence: 7,
      tsp: "AA Trust Services",
      service: "AA QWAC",
      issuedAt: d("2025-01-15").toISOString(),
      statusAtIssuance: STATUS("granted"),
      statusNow: STATUS("granted"),
      rule: "granted-wsa",
      ruleText: "granted at issuance and now; ForWebSiteAuthentication",
      reason: null,
      trustedByAnchors: false,
    });
    expect(r.qualification?.lists.map((l) => [l.territory, l.sequence, l.usable])).toEqual([
      ["EU", 300, true],
      ["AA", 7, true],
    ]);
    expect(r.checks.chain).toMatchObject({
      status: "pass",
      path: [
        "CN=listed-sas.example, O=Listed SAS, organizationIdentifier=PSDFR-ACPR-10001, C=FR",
        "CN=AA Granted QWAC CA, C=AA",
      ],
    });
    expect(r.checks.decision).toMatchObject({ allowed: true });
    expect(r.verdict).toBe("good");
  });

  it("says it in words too: list, TSP, service, both statuses, the rule, the verdict", async () => {
    const { code, stdout } = await inspect(files.granted);
    expect(code).toBe(0);
    expect(stdout).toContain("Qualification (EU trusted lists, ETSI TS 119 615)");
    expect(stdout).toMatch(/List:\s+AA sequence 7/);
    expect(stdout).toMatch(/TSP:\s+AA Trust Services/);
    expect(stdout).toMatch(/Service:\s+AA QWAC \(CN=AA Granted QWAC CA, C=AA\)/);
    expect(stdout).toMatch(/At issuance:\s*granted \(notBefore 2025-01-15/);
    expect(stdout).toMatch(/Now:\s+granted/);
    expect(stdout).toMatch(/Rule:\s+granted at issuance and now; ForWebSiteAuthentication/);
    expect(stdout).toMatch(/Verdict:\s+QUALIFIED for website authentication/);
  });

  it("gives the service's CERT_NOT_QUALIFIED for a service withdrawn after issuance, with the same detail", async () => {
    const r = await report(files.withdrawn, "--method", "GET", "--path", "/v1/accounts");
    expect(r.qualification).toMatchObject({
      listed: true,
      qualified: false,
      service: "AA Lapsed QWAC",
      statusAtIssuance: STATUS("granted"),
      statusNow: STATUS("withdrawn"),
      rule: "not-granted-now",
      ruleText: "granted at issuance (granted), not now (withdrawn)",
      reason: "CERT_NOT_QUALIFIED",
    });
    // The chain line and the decision over the service's own pipeline deny with the same reason and words.
    expect(r.checks.chain).toMatchObject({ status: "fail", reason: "CERT_NOT_QUALIFIED" });
    expect(r.checks.chain?.detail).toBe(r.qualification?.detail);
    expect(r.checks.decision).toMatchObject({ allowed: false, reason: "CERT_NOT_QUALIFIED" });
    // The service shortens a cached detail's quoted names (MAX_CACHED_DETAIL_CHARS); the verdict part stays.
    expect(r.checks.decision?.detail).toMatch(
      /status at issuance granted, now withdrawn \(not-granted-now\)$/,
    );
    expect(r.qualification?.detail).toContain("territory AA");
    expect(r.verdict).toBe("bad");
    expect((await inspect(files.withdrawn)).stdout).toMatch(/Verdict:\s+NOT QUALIFIED: CERT_NOT_QUALIFIED/);
  });

  it("gives CERT_ISSUER_NOT_LISTED for a CA on no list that trust.anchors does not hold either", async () => {
    const r = await report(files.unlisted, "--method", "GET", "--path", "/v1/accounts");
    expect(r.qualification).toMatchObject({
      listed: false,
      qualified: false,
      territory: null,
      rule: null,
      reason: "CERT_ISSUER_NOT_LISTED",
      trustedByAnchors: false,
    });
    expect(r.checks.chain).toMatchObject({ status: "fail", reason: "CERT_ISSUER_NOT_LISTED" });
    expect(r.checks.decision).toMatchObject({ allowed: false, reason: "CERT_ISSUER_NOT_LISTED" });
    expect(r.problems.map((p) => p.reason)).toContain("CERT_ISSUER_NOT_LISTED");
  });

  it("says when a CA on no list is admitted through trust.anchors (a private PKI)", async () => {
    const r = await report(files.private, "--method", "GET", "--path", "/v1/accounts");
    expect(r.qualification).toMatchObject({ listed: false, reason: null, trustedByAnchors: true });
    expect(r.checks.chain).toMatchObject({ status: "pass" });
    expect(r.checks.decision).toMatchObject({ allowed: true });
  });

  it("judges the lists at --at: past NextUpdate + grace the territory fails closed, as in the service", async () => {
    const out = await qwacInspect(["--config", config, "--json", "--at", "2025-12-01", files.granted]);
    const r = JSON.parse(out.stdout) as InspectReport;
    // The stale LOTL supplies no pointers: AA's copy is not even read, whatever its own NextUpdate.
    expect(r.qualification?.lists.map((l) => [l.territory, l.usable])).toEqual([["EU", false]]);
    expect(r.qualification).toMatchObject({ listed: false, reason: "CERT_ISSUER_NOT_LISTED" });
  });

  it("has no qualification section when the config does not use trusted lists", async () => {
    const plain = write(
      dir,
      "anchors-only.yaml",
      `trust: { anchors: private-root.pem }\npolicy: ${BERLIN_GROUP}\nrevocation: { enabled: false }\n`,
    );
    const out = await qwacInspect(["--config", plain, "--json", files.private]);
    expect((JSON.parse(out.stdout) as InspectReport).qualification).toBeNull();
  });
});
