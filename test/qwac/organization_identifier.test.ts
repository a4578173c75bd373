import { describe, expect, it } from "vitest";
import { checkAgainstNcaId, parseOrganizationIdentifier } from "../../src/qwac/organization_identifier.js";

describe("parseOrganizationIdentifier reads the PSD2 form of EN 319 412-1", () => {
  it.each([
    ["PSDFR-ACPR-12345", "FR", "ACPR", "12345"],
    ["PSDBE-NBB-0123.456.789", "BE", "NBB", "0123.456.789"],
    ["PSDFI-FINFSA-1234567-8", "FI", "FINFSA", "1234567-8"],
    ["PSDHR-HNB-71221608291", "HR", "HNB", "71221608291"],
  ])(
    "splits %s into country, NCA and authorisation number",
    (value, country, ncaShortName, authorisationNumber) => {
      expect(parseOrganizationIdentifier(value)).toEqual({
        ok: true,
        value: { value, country, ncaShortName, authorisationNumber },
      });
    },
  );

  it.each([
    "PSDFR",
    "PSDXX-12345",
    "PSDFR-ACPR",
    "PSDFR-ACPR-",
    "PSDFR--12345",
    "PSDFR-A-12345", // NCA identifiers have 2 to 8 letters
    "PSDFR-ABCDEFGHI-12345",
    "PSDFR-acpr-12345",
    "NTRFR-12345",
    " PSDFR-ACPR-12345",
    "PSDFR-ACPR-123\n45",
  ])("rejects %j", (value) => {
    expect(parseOrganizationIdentifier(value)).toMatchObject({
      ok: false,
      error: { reason: "CERT_ORG_ID_INVALID" },
    });
  });
});

describe("checkAgainstNcaId", () => {
  const orgId = {
    value: "PSDFR-ACPR-12345",
    country: "FR",
    ncaShortName: "ACPR",
    authorisationNumber: "12345",
  };

  it("accepts the NCA the PSD2 statement names", () => {
    expect(checkAgainstNcaId(orgId, "FR-ACPR").ok).toBe(true);
  });

  it.each(["FR-BDF", "BE-ACPR", "fr-acpr", "FRACPR", ""])("rejects nCAId %j", (ncaId) => {
    expect(checkAgainstNcaId(orgId, ncaId)).toMatchObject({
      ok: false,
      error: { reason: "CERT_ORG_ID_INVALID" },
    });
  });
});
