/**
 * Leaf certificates from real QTSPs and bank sandboxes (../shared/fixtures/real-psd2/README.md), decoded
 * independently of this project. They catch what generated certificates cannot: other encoders.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import type { Result } from "../../src/foundation/result.js";
import { describeQcStatements, type Qwac, readQwac } from "../../src/qwac/qwac.js";
import { REAL_PSD2_DIR, realPsd2Pem } from "../support/shared_fixtures.js";

function fixture(name: string): X509Certificate {
  return new X509Certificate(realPsd2Pem(name));
}

function accepted(result: Result<Qwac>): Qwac {
  if (!result.ok) {
    throw new Error(`expected a QWAC, got ${result.error.reason}: ${result.error.detail}`);
  }
  return result.value;
}

const QWAC_ONLY = { acceptEseal: false };
const QWAC_OR_QSEALC = { acceptEseal: true };

describe("real QWACs are read as their QTSPs issued them", () => {
  it("reads the I.CA QWAC of Banka CREDITAS: all four roles, Czech National Bank, non-ASCII subject", () => {
    const qwac = accepted(readQwac(fixture("03-ica-creditas-qwac.pem"), QWAC_ONLY));
    expect(qwac).toMatchObject({
      organizationName: "Banka CREDITAS a.s.",
      organizationIdentifier: "PSDCZ-CNB-63492555",
      roles: ["PSP_AS", "PSP_PI", "PSP_AI", "PSP_IC"],
      unknownRoleOids: [],
      ncaName: "Czech National Bank",
      ncaId: "CZ-CNB",
      qcTypes: ["web"],
      serialNumber: "02aa20dfefb389a074",
    });
    expect(qwac.subjectDn).toContain("L=Praha 8\\, Karlín");
  });

  it("reads the Fina QWAC of Partner Banka: PrintableString orgId, PDS before QcType", () => {
    const qwac = accepted(readQwac(fixture("07-fina-partnerbanka-qwac.pem"), QWAC_ONLY));
    expect(qwac).toMatchObject({
      organizationName: "PARTNER BANKA D.D.",
      organizationIdentifier: "PSDHR-HNB-71221608291",
      roles: ["PSP_AS"],
      ncaName: "Croatian National Bank",
      ncaId: "HR-HNB",
      qcTypes: ["web"],
      serialNumber: "a9f47d601469b9f800000000566f2693",
    });
  });

  it("reads the e-Szigno test QWAC: hyphen inside the authorisation number", () => {
    const qwac = accepted(readQwac(fixture("09-eszigno-test-crtprsr-qwac.pem"), QWAC_ONLY));
    expect(qwac).toMatchObject({
      organizationName: "Certificate Verifier",
      organizationIdentifier: "PSDFI-FINFSA-1234567-8",
      roles: ["PSP_AS", "PSP_PI", "PSP_AI", "PSP_IC"],
      ncaName: "Finnish Financial Supervisory Authority",
      ncaId: "FI-FINFSA",
      qcTypes: ["web"],
    });
  });
});

describe("a real QSealC is a QWAC only when eseal is accepted", () => {
  const qsealc = fixture("01-multicert-tink-qsealc.pem");

  it("denies the MULTICERT QSealC of Tink by default", () => {
    expect(readQwac(qsealc, QWAC_ONLY)).toEqual({
      ok: false,
      error: { reason: "CERT_NOT_QWAC", detail: "QcType is eseal, not web" },
    });
  });

  it("accepts it with acceptEseal, reporting its roles in TS 119 495 order", () => {
    expect(accepted(readQwac(qsealc, QWAC_OR_QSEALC))).toMatchObject({
      organizationName: "Tink AB",
      organizationIdentifier: "PSDSE-FINA-44059",
      roles: ["PSP_PI", "PSP_AI"],
      ncaName: "Swedish Financial Supervision Authority",
      ncaId: "SE-FINA",
      qcTypes: ["eseal"],
    });
  });

  it("describes its six statements, the roles in certificate order", () => {
    expect(describeQcStatements(qsealc)).toEqual({
      ok: true,
      value: {
        compliance: true,
        sscd: false,
        types: ["eseal"],
        unknownTypeOids: [],
        psd2: {
          ok: true,
          value: {
            roles: [
              { oid: "0.4.0.19495.1.3", name: "PSP_AI" },
              { oid: "0.4.0.19495.1.2", name: "PSP_PI" },
            ],
            ncaName: "Swedish Financial Supervision Authority",
            ncaId: "SE-FINA",
          },
        },
        otherStatementOids: ["1.3.6.1.5.5.7.11.2", "0.4.0.1862.1.3", "0.4.0.1862.1.5"],
      },
    });
  });
});

describe("a real certificate with only a PSD2 statement is not a QWAC", () => {
  const sandbox = fixture("13-bdr-test-deutschebank-qwac.pem");

  it("denies the Deutsche Bank sandbox certificate for lack of QcCompliance, eseal accepted or not", () => {
    for (const options of [QWAC_ONLY, QWAC_OR_QSEALC]) {
      expect(readQwac(sandbox, options)).toEqual({
        ok: false,
        error: { reason: "CERT_NOT_QWAC", detail: "no QcCompliance statement" },
      });
    }
  });

  it("still describes its PSD2 statement, with the non-ASCII BaFin name", () => {
    expect(describeQcStatements(sandbox)).toEqual({
      ok: true,
      value: {
        compliance: false,
        sscd: false,
        types: [],
        unknownTypeOids: [],
        psd2: {
          ok: true,
          value: {
            roles: [
              { oid: "0.4.0.19495.1.1", name: "PSP_AS" },
              { oid: "0.4.0.19495.1.3", name: "PSP_AI" },
              { oid: "0.4.0.19495.1.2", name: "PSP_PI" },
              { oid: "0.4.0.19495.1.4", name: "PSP_IC" },
            ],
            ncaName: "Bundesanstalt für Finanzdienstleistungsaufsicht (BaFin)",
            ncaId: "DE-BAFIN",
          },
        },
        otherStatementOids: [],
      },
    });
  });
});

describe("the real certificates are read from ../shared/fixtures/real-psd2, never copied into the repo", () => {
  /** Every file under the repo's own folders (not node_modules, .git, dist), depth-bounded. */
  function repoFiles(dir: string, depth = 0): string[] {
    if (depth > 8) return [];
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      if (["node_modules", ".git", "dist"].includes(entry.name)) return [];
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return repoFiles(path, depth + 1);
      return entry.isFile() ? [path] : [];
    });
  }

  it("holds no byte-for-byte copy of a shared fixture", () => {
    const digest = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
    const shared = new Set(readdirSync(REAL_PSD2_DIR).map((name) => digest(join(REAL_PSD2_DIR, name))));
    expect(shared.size).toBeGreaterThanOrEqual(15);
    const copies = repoFiles(PROJECT_ROOT)
      .filter((file) => shared.has(digest(file)))
      .map((file) => relative(PROJECT_ROOT, file));
    expect(copies).toEqual([]);
  });
});
