import { AsnConvert } from "@peculiar/asn1-schema";
import { QCStatements } from "@peculiar/asn1-x509-qualified";
import type { Extension } from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import {
  buildQcStatements,
  issueCertificate,
  psd2Roles,
  qcStatementsExtension,
} from "../../src/demo/certificate_factory.js";
import type { Result } from "../../src/foundation/result.js";
import {
  decodeQcStatements,
  describeQcStatements,
  type QcStatementsInfo,
} from "../../src/qwac/qc_statements.js";
import { corruptedVariants } from "./corrupted_der.js";

const PSD2 = { roles: psd2Roles("PSP_IC", "PSP_AS"), ncaName: "Bank of Lithuania", ncaId: "LT-LB" };

function described(result: Result<QcStatementsInfo>): QcStatementsInfo {
  if (!result.ok) {
    throw new Error(`expected statements, got ${result.error.reason}: ${result.error.detail}`);
  }
  return result.value;
}

describe("describeQcStatements reports every statement", () => {
  it("decodes compliance, SSCD, types, the PSD2 statement in certificate order, and other OIDs", async () => {
    const { cert } = await issueCertificate({
      subject: "CN=tpp.lt",
      qc: { types: ["eseal", "web"], sscd: true, pdsUrl: "https://pds.example/en", psd2: PSD2 },
    });
    expect(described(describeQcStatements(cert))).toEqual({
      compliance: true,
      sscd: true,
      types: ["eseal", "web"],
      unknownTypeOids: [],
      psd2: {
        ok: true,
        value: {
          roles: [
            { oid: "0.4.0.19495.1.4", name: "PSP_IC" },
            { oid: "0.4.0.19495.1.1", name: "PSP_AS" },
          ],
          ncaName: "Bank of Lithuania",
          ncaId: "LT-LB",
        },
      },
      otherStatementOids: ["0.4.0.1862.1.5"],
    });
  });

  it("describes a malformed PSD2 statement as a denial while still describing the rest", () => {
    const statements = buildQcStatements({ psd2: PSD2 });
    const psd2 = statements.at(-1);
    if (psd2 === undefined) throw new Error("factory built no statements");
    psd2.statementInfo = new Uint8Array([0x05, 0x00]).buffer;
    const info = described(decodeQcStatements(AsnConvert.serialize(new QCStatements(statements))));
    expect([info.compliance, info.types]).toEqual([true, ["web"]]);
    expect(info.psd2).toMatchObject({ ok: false, error: { reason: "CERT_PSD2_STATEMENT_INVALID" } });
  });

  it("denies an empty nCAId, which TS 119 495 sizes 1..256", async () => {
    const { cert } = await issueCertificate({ subject: "CN=tpp", qc: { psd2: { ...PSD2, ncaId: "" } } });
    expect(described(describeQcStatements(cert)).psd2).toMatchObject({
      ok: false,
      error: { reason: "CERT_PSD2_STATEMENT_INVALID" },
    });
  });

  it("reports that a certificate has no qcStatements", async () => {
    const { cert } = await issueCertificate({ subject: "CN=plain" });
    expect(describeQcStatements(cert)).toEqual({
      ok: false,
      error: { reason: "CERT_NOT_QWAC", detail: "no qcStatements extension" },
    });
  });

  it("believes neither of two qcStatements extensions", async () => {
    const second = qcStatementsExtension({ psd2: { ...PSD2, roles: psd2Roles("PSP_AS") } });
    const { cert } = await issueCertificate({
      subject: "CN=twice",
      qc: { psd2: PSD2 },
      extraExtensions: [second],
    });
    expect(cert.extensions.filter((e: Extension) => e.type === "1.3.6.1.5.5.7.1.3")).toHaveLength(2);
    expect(describeQcStatements(cert)).toMatchObject({ ok: false, error: { reason: "CERT_NOT_QWAC" } });
  });
});

describe("decodeQcStatements never throws", () => {
  it("handles every truncation and single-byte corruption of a valid extension without the catch-all", () => {
    const valid = new Uint8Array(AsnConvert.serialize(new QCStatements(buildQcStatements({ psd2: PSD2 }))));
    const outcomes = new Set<string>();
    const unforeseen: string[] = [];
    for (const variant of corruptedVariants(valid)) {
      const result = decodeQcStatements(variant);
      if (!result.ok && result.error.detail?.includes("could not be decoded")) {
        unforeseen.push(result.error.detail);
      }
      const psd2 = result.ok ? result.value.psd2 : undefined;
      outcomes.add(
        result.ok
          ? `psd2 ${psd2 === undefined ? "absent" : psd2.ok ? "ok" : psd2.error.reason}`
          : result.error.reason,
      );
    }
    // The catch-all in decodeQcStatements is a net, not the way failures are meant to be handled.
    expect(unforeseen).toEqual([]);
    // Corruption reached the outer structure, the QcType statement and the PSD2 statement alike.
    expect(outcomes).toContain("CERT_NOT_QWAC");
    expect(outcomes).toContain("psd2 CERT_PSD2_STATEMENT_INVALID");
    expect(outcomes).toContain("psd2 ok");
  });
});
