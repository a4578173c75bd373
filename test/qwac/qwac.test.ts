import { AsnConvert } from "@peculiar/asn1-schema";
import { DirectoryString } from "@peculiar/asn1-x509";
import { QCStatements } from "@peculiar/asn1-x509-qualified";
import { QcType as QcTypeAsn } from "@peculiar/asn1-x509-qualified-etsi";
import type { X509Certificate } from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildQcStatements,
  generateKey,
  type IssueOptions,
  type Issuer,
  issueCertificate,
  type KeyAlg,
  type Psd2Spec,
  psd2Roles,
  type QcSpec,
  qcStatement,
} from "../../src/demo/certificate_factory.js";
import type { DenyReason } from "../../src/foundation/reasons.js";
import type { Result } from "../../src/foundation/result.js";
import {
  ID_ETSI_PSD2_QC_STATEMENT,
  Psd2QcType,
  RoleOfPsp,
  RolesOfPsp,
} from "../../src/qwac/psd2_statement_asn1.js";
import { PSD2_ROLES, type Qwac, readQwac } from "../../src/qwac/qwac.js";
import { corruptedVariants } from "./corrupted_der.js";

const ACPR: Psd2Spec = {
  roles: psd2Roles("PSP_AI", "PSP_PI"),
  ncaName: "Autorité de contrôle prudentiel et de résolution",
  ncaId: "FR-ACPR",
};
const TPP_SUBJECT = "CN=tpp.example, O=Example TPP, 2.5.4.97=PSDFR-ACPR-12345, C=FR";
const QWAC_ONLY = { acceptEseal: false };
const QWAC_OR_QSEALC = { acceptEseal: true };

let qtsp: Issuer;
beforeAll(async () => {
  qtsp = await issueCertificate({ subject: "CN=Test QTSP CA, O=Test QTSP, C=FR", isCa: true, pathLen: 0 });
});

async function tppCertificate(
  qc: QcSpec | undefined,
  options: Partial<IssueOptions> = {},
): Promise<X509Certificate> {
  const issued = await issueCertificate({
    subject: TPP_SUBJECT,
    issuer: qtsp,
    ...(qc ? { qc } : {}),
    ...options,
  });
  return issued.cert;
}

function accepted(result: Result<Qwac>): Qwac {
  if (!result.ok) {
    throw new Error(`expected a QWAC, got ${result.error.reason}: ${result.error.detail}`);
  }
  return result.value;
}

function deniedWith(result: Result<Qwac>): DenyReason | undefined {
  return result.ok ? undefined : result.error.reason;
}

function detailOf(result: Result<Qwac>): string | undefined {
  return result.ok ? undefined : result.error.detail;
}

/** The PSD2 statement exactly as given, strings in the given ASN.1 string type. */
function psd2StatementInfo(spec: Psd2Spec, text: (s: string) => DirectoryString): ArrayBuffer {
  const roles = spec.roles.map((r) => new RoleOfPsp({ roleOfPspOid: r.oid, roleOfPspName: text(r.name) }));
  return AsnConvert.serialize(
    new Psd2QcType({
      rolesOfPSP: new RolesOfPsp(roles),
      nCAName: text(spec.ncaName),
      nCAId: text(spec.ncaId),
    }),
  );
}

function encodedStatements(spec: QcSpec): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new QCStatements(buildQcStatements(spec))));
}

function rawStatements(...statements: ReturnType<typeof qcStatement>[]): ArrayBuffer {
  return AsnConvert.serialize(new QCStatements(statements));
}

describe("readQwac grants the PSD2 roles of a well-formed QWAC", () => {
  it.each(PSD2_ROLES)("grants %s when it is the only role", async (role) => {
    const cert = await tppCertificate({ psd2: { ...ACPR, roles: psd2Roles(role) } });
    expect(accepted(readQwac(cert, QWAC_ONLY)).roles).toEqual([role]);
  });

  it("grants several roles and reports them in TS 119 495 order whatever the certificate order", async () => {
    const cert = await tppCertificate({ psd2: { ...ACPR, roles: psd2Roles("PSP_IC", "PSP_AI", "PSP_AS") } });
    expect(accepted(readQwac(cert, QWAC_ONLY)).roles).toEqual(["PSP_AS", "PSP_AI", "PSP_IC"]);
  });

  it("reports a role listed twice once", async () => {
    const cert = await tppCertificate({ psd2: { ...ACPR, roles: psd2Roles("PSP_PI", "PSP_AI", "PSP_PI") } });
    expect(accepted(readQwac(cert, QWAC_ONLY)).roles).toEqual(["PSP_PI", "PSP_AI"]);
  });

  it("reports the holder's identity, NCA, QC types, serial and validity", async () => {
    const notBefore = new Date("2025-03-01T00:00:00Z");
    const notAfter = new Date("2026-03-01T00:00:00Z");
    const cert = await tppCertificate({ psd2: ACPR }, { serial: "00C0FFEE01", notBefore, notAfter });
    expect(accepted(readQwac(cert, QWAC_ONLY))).toEqual({
      subjectDn: "CN=tpp.example, O=Example TPP, 2.5.4.97=PSDFR-ACPR-12345, C=FR",
      organizationName: "Example TPP",
      organizationIdentifier: "PSDFR-ACPR-12345",
      roles: ["PSP_PI", "PSP_AI"],
      unknownRoleOids: [],
      ncaName: "Autorité de contrôle prudentiel et de résolution",
      ncaId: "FR-ACPR",
      qcTypes: ["web"],
      serialNumber: "c0ffee01",
      notBefore,
      notAfter,
    });
  });

  it.each<KeyAlg>(["RSA-2048", "P-256", "P-384"])("reads a QWAC with a %s key", async (keyAlg) => {
    const cert = await tppCertificate({ psd2: ACPR }, { keyAlg });
    expect(accepted(readQwac(cert, QWAC_ONLY)).organizationIdentifier).toBe("PSDFR-ACPR-12345");
  });

  it("reads the statements in any order", async () => {
    const statements = buildQcStatements({
      psd2: ACPR,
      sscd: true,
      pdsUrl: "https://pds.example/en",
    }).reverse();
    expect(statements[0]?.statementId).toBe(ID_ETSI_PSD2_QC_STATEMENT);
    const cert = await tppCertificate({ rawStatements: rawStatements(...statements) });
    expect(accepted(readQwac(cert, QWAC_ONLY)).roles).toEqual(["PSP_PI", "PSP_AI"]);
  });

  it("reads role names and NCA strings encoded as PrintableString instead of UTF8String", async () => {
    const spec: Psd2Spec = { roles: psd2Roles("PSP_AS"), ncaName: "Czech National Bank", ncaId: "CZ-CNB" };
    const printable = (s: string) => new DirectoryString({ printableString: s });
    const cert = await tppCertificate(
      {
        rawStatements: rawStatements(
          ...buildQcStatements({}),
          qcStatement(ID_ETSI_PSD2_QC_STATEMENT, psd2StatementInfo(spec, printable)),
        ),
      },
      { subject: "CN=tpp.example, 2.5.4.97=PSDCZ-CNB-63492555, C=CZ" },
    );
    const qwac = accepted(readQwac(cert, QWAC_ONLY));
    expect([qwac.roles, qwac.ncaName, qwac.ncaId]).toEqual([["PSP_AS"], "Czech National Bank", "CZ-CNB"]);
  });
});

describe("readQwac admits only qualified website certificates", () => {
  it("denies a plain TLS certificate without qcStatements", async () => {
    const result = readQwac(await tppCertificate(undefined), QWAC_ONLY);
    expect(deniedWith(result)).toBe("CERT_NOT_QWAC");
    expect(detailOf(result)).toBe("no qcStatements extension");
  });

  it("denies a certificate without QcCompliance", async () => {
    const result = readQwac(await tppCertificate({ compliance: false, psd2: ACPR }), QWAC_ONLY);
    expect(deniedWith(result)).toBe("CERT_NOT_QWAC");
    expect(detailOf(result)).toContain("QcCompliance");
  });

  it("denies a certificate without a QcType statement", async () => {
    const result = readQwac(await tppCertificate({ types: [], psd2: ACPR }), QWAC_OR_QSEALC);
    expect(deniedWith(result)).toBe("CERT_NOT_QWAC");
    expect(detailOf(result)).toContain("no QcType");
  });

  it("denies a QSealC (QcType eseal) by default", async () => {
    const result = readQwac(await tppCertificate({ types: ["eseal"], psd2: ACPR }), QWAC_ONLY);
    expect(deniedWith(result)).toBe("CERT_NOT_QWAC");
    expect(detailOf(result)).toBe("QcType is eseal, not web");
  });

  it("accepts a QSealC when acceptEseal is set", async () => {
    const qwac = accepted(readQwac(await tppCertificate({ types: ["eseal"], psd2: ACPR }), QWAC_OR_QSEALC));
    expect([qwac.qcTypes, qwac.roles]).toEqual([["eseal"], ["PSP_PI", "PSP_AI"]]);
  });

  it("still accepts a QWAC when acceptEseal is set", async () => {
    const qwac = accepted(readQwac(await tppCertificate({ psd2: ACPR }), QWAC_OR_QSEALC));
    expect(qwac.qcTypes).toEqual(["web"]);
  });

  it("denies a qualified signature certificate (esign) even when acceptEseal is set", async () => {
    const result = readQwac(await tppCertificate({ types: ["esign"], psd2: ACPR }), QWAC_OR_QSEALC);
    expect(deniedWith(result)).toBe("CERT_NOT_QWAC");
  });

  it("denies a QcType that lists only OIDs it does not know", async () => {
    const unknownType = AsnConvert.serialize(new QcTypeAsn(["0.4.0.1862.1.6.9"]));
    const cert = await tppCertificate({
      rawStatements: rawStatements(
        ...buildQcStatements({ types: [], psd2: ACPR }),
        qcStatement("0.4.0.1862.1.6", unknownType),
      ),
    });
    const result = readQwac(cert, QWAC_OR_QSEALC);
    expect(deniedWith(result)).toBe("CERT_NOT_QWAC");
    expect(detailOf(result)).toContain("no known QcType");
  });
});

describe("readQwac requires a usable PSD2 statement", () => {
  it("denies a QWAC without a PSD2 statement", async () => {
    const result = readQwac(await tppCertificate({}), QWAC_ONLY);
    expect(deniedWith(result)).toBe("CERT_PSD2_STATEMENT_INVALID");
    expect(detailOf(result)).toContain("no PSD2 statement");
  });

  it("denies a PSD2 statement that lists no roles", async () => {
    const result = readQwac(await tppCertificate({ psd2: { ...ACPR, roles: [] } }), QWAC_ONLY);
    expect(deniedWith(result)).toBe("CERT_PSD2_STATEMENT_INVALID");
    expect(detailOf(result)).toContain("no roles");
  });

  it("denies a PSD2 statement that is not a PSD2QcType", async () => {
    const notPsd2 = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]).buffer;
    const cert = await tppCertificate({
      rawStatements: rawStatements(...buildQcStatements({}), qcStatement(ID_ETSI_PSD2_QC_STATEMENT, notPsd2)),
    });
    expect(deniedWith(readQwac(cert, QWAC_ONLY))).toBe("CERT_PSD2_STATEMENT_INVALID");
  });

  it("denies a PSD2 statement without statementInfo", async () => {
    const cert = await tppCertificate({
      rawStatements: rawStatements(...buildQcStatements({}), qcStatement(ID_ETSI_PSD2_QC_STATEMENT)),
    });
    expect(deniedWith(readQwac(cert, QWAC_ONLY))).toBe("CERT_PSD2_STATEMENT_INVALID");
  });

  it("denies two PSD2 statements, which could grant different roles", async () => {
    const other = psd2StatementInfo(
      { ...ACPR, roles: psd2Roles("PSP_AS") },
      (s) => new DirectoryString({ utf8String: s }),
    );
    const cert = await tppCertificate({
      rawStatements: rawStatements(
        ...buildQcStatements({ psd2: ACPR }),
        qcStatement(ID_ETSI_PSD2_QC_STATEMENT, other),
      ),
    });
    const result = readQwac(cert, QWAC_ONLY);
    expect(deniedWith(result)).toBe("CERT_PSD2_STATEMENT_INVALID");
    expect(detailOf(result)).toContain("more than once");
  });
});

describe("readQwac identifies roles by OID", () => {
  it("denies a known role OID that carries another role's name", async () => {
    const roles = [{ oid: "0.4.0.19495.1.1", name: "PSP_PI" }];
    const result = readQwac(await tppCertificate({ psd2: { ...ACPR, roles } }), QWAC_ONLY);
    expect(deniedWith(result)).toBe("CERT_ROLE_MISMATCH");
    expect(detailOf(result)).toContain("0.4.0.19495.1.1");
  });

  it("denies a known role OID whose name differs only in case", async () => {
    const roles = [{ oid: "0.4.0.19495.1.3", name: "psp_ai" }];
    expect(deniedWith(readQwac(await tppCertificate({ psd2: { ...ACPR, roles } }), QWAC_ONLY))).toBe(
      "CERT_ROLE_MISMATCH",
    );
  });

  it("reports an unknown role OID without granting it", async () => {
    const roles = [...psd2Roles("PSP_AI"), { oid: "0.4.0.19495.1.9", name: "PSP_XX" }];
    const qwac = accepted(readQwac(await tppCertificate({ psd2: { ...ACPR, roles } }), QWAC_ONLY));
    expect([qwac.roles, qwac.unknownRoleOids]).toEqual([["PSP_AI"], ["0.4.0.19495.1.9"]]);
  });

  it("does not grant a known role name that sits on an unknown OID", async () => {
    const roles = [{ oid: "1.2.3.4", name: "PSP_AS" }];
    const qwac = accepted(readQwac(await tppCertificate({ psd2: { ...ACPR, roles } }), QWAC_ONLY));
    expect([qwac.roles, qwac.unknownRoleOids]).toEqual([[], ["1.2.3.4"]]);
  });

  it("reads a QWAC whose only roles are unknown as a QWAC with no roles", async () => {
    const roles = [{ oid: "0.4.0.19495.1.5", name: "PSP_NEW" }];
    const qwac = accepted(readQwac(await tppCertificate({ psd2: { ...ACPR, roles } }), QWAC_ONLY));
    expect([qwac.roles, qwac.unknownRoleOids]).toEqual([[], ["0.4.0.19495.1.5"]]);
  });
});

describe("readQwac checks the organizationIdentifier against the PSD2 statement", () => {
  const withSubject = async (subject: string) =>
    readQwac(await tppCertificate({ psd2: ACPR }, { subject }), QWAC_ONLY);

  it("denies a subject without organizationIdentifier", async () => {
    const result = await withSubject("CN=tpp.example, O=Example TPP, C=FR");
    expect(deniedWith(result)).toBe("CERT_ORG_ID_INVALID");
    expect(detailOf(result)).toContain("no organizationIdentifier");
  });

  it.each([
    ["PSD prefix and country only", "PSDFR"],
    ["no NCA identifier", "PSDFR-12345"],
    ["no authorisation number", "PSDFR-ACPR"],
    ["an empty authorisation number", "PSDFR-ACPR-"],
    ["a VAT prefix", "VATFR-12345678901"],
    ["a lower-case prefix", "psdFR-ACPR-12345"],
    ["a three-letter country", "PSDFRA-ACPR-12345"],
  ])("denies an organizationIdentifier with %s (%s)", async (_case, orgId) => {
    expect(deniedWith(await withSubject(`CN=tpp.example, 2.5.4.97=${orgId}, C=FR`))).toBe(
      "CERT_ORG_ID_INVALID",
    );
  });

  it("denies an organizationIdentifier whose NCA differs from nCAId", async () => {
    const result = await withSubject("CN=tpp.example, 2.5.4.97=PSDFR-BDF-12345, C=FR");
    expect(deniedWith(result)).toBe("CERT_ORG_ID_INVALID");
    expect(detailOf(result)).toContain("FR-BDF");
  });

  it("denies an organizationIdentifier whose country differs from nCAId", async () => {
    expect(deniedWith(await withSubject("CN=tpp.example, 2.5.4.97=PSDBE-ACPR-12345, C=BE"))).toBe(
      "CERT_ORG_ID_INVALID",
    );
  });

  it("denies a subject with two organizationIdentifiers", async () => {
    const result = await withSubject("CN=tpp.example, 2.5.4.97=PSDFR-ACPR-1, 2.5.4.97=PSDFR-ACPR-2, C=FR");
    expect(deniedWith(result)).toBe("CERT_ORG_ID_INVALID");
  });

  it("accepts authorisation numbers that contain dots and hyphens", async () => {
    const belgian = { ncaName: "National Bank of Belgium", ncaId: "BE-NBB", roles: psd2Roles("PSP_AI") };
    const cert = await tppCertificate(
      { psd2: belgian },
      { subject: "CN=tpp.be, 2.5.4.97=PSDBE-NBB-0123.456.789, C=BE" },
    );
    expect(accepted(readQwac(cert, QWAC_ONLY)).organizationIdentifier).toBe("PSDBE-NBB-0123.456.789");
    const finnish = { ncaName: "Finnish FSA", ncaId: "FI-FINFSA", roles: psd2Roles("PSP_AI") };
    const cert2 = await tppCertificate(
      { psd2: finnish },
      { subject: "CN=tpp.fi, 2.5.4.97=PSDFI-FINFSA-1234567-8, C=FI" },
    );
    expect(accepted(readQwac(cert2, QWAC_ONLY)).organizationIdentifier).toBe("PSDFI-FINFSA-1234567-8");
  });
});

describe("readQwac turns a malformed qcStatements extension into a denial", () => {
  it.each([
    ["truncated DER", [0x30, 0x05, 0x30, 0x03, 0x06]],
    ["an INTEGER instead of a SEQUENCE", [0x02, 0x01, 0x05]],
    ["a statement without an OID", [0x30, 0x03, 0x30, 0x01, 0x05]],
    ["no bytes at all", []],
  ])("denies %s as not a QWAC", async (_case, bytes) => {
    const cert = await tppCertificate({ rawStatements: new Uint8Array(bytes).buffer });
    expect(deniedWith(readQwac(cert, QWAC_ONLY))).toBe("CERT_NOT_QWAC");
  });

  it("denies a QcType statement whose content is not a list of OIDs", async () => {
    const badType = new Uint8Array([0x04, 0x01, 0x00]).buffer;
    const cert = await tppCertificate({
      rawStatements: rawStatements(
        ...buildQcStatements({ types: [], psd2: ACPR }),
        qcStatement("0.4.0.1862.1.6", badType),
      ),
    });
    const result = readQwac(cert, QWAC_ONLY);
    expect(deniedWith(result)).toBe("CERT_NOT_QWAC");
    expect(detailOf(result)).toContain("QcType");
  });

  it("never throws for truncations and single-byte corruptions of a valid extension", async () => {
    // qc_statements.test.ts sweeps every variant through the decoder; certificates are slower to
    // sign, so here every seventh variant goes through the whole reader.
    const variants = corruptedVariants(encodedStatements({ psd2: ACPR })).filter(
      (_, index) => index % 7 === 0,
    );
    const keys = await generateKey("P-256");
    const outcomes = new Set<string>();
    for (const variant of variants) {
      const cert = await tppCertificate({ rawStatements: variant }, { keys });
      const result = readQwac(cert, QWAC_ONLY);
      outcomes.add(result.ok ? "ok" : result.error.reason);
    }
    expect(outcomes).toContain("CERT_NOT_QWAC");
  });
});
