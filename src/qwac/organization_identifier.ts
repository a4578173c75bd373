/**
 * The PSD2 form of the subject's organizationIdentifier (2.5.4.97), ETSI TS 119 495 clause 5.2.1 and
 * EN 319 412-1 clause 5.1.4:
 *
 *   "PSD" + 2-letter ISO 3166 country + "-" + NCA identifier (2-8 of A-Z) + "-" + authorisation number
 *
 * e.g. PSDFR-ACPR-12345, PSDBE-NBB-0123.456.789, PSDFI-FINFSA-1234567-8. The NCA identifier cannot contain
 * "-", so the first "-" after it ends it and the authorisation number may itself contain "-".
 */
import type { X509Certificate } from "@peculiar/x509";
import { deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";

export const ID_AT_ORGANIZATION_IDENTIFIER = "2.5.4.97";

export interface Psd2OrganizationIdentifier {
  /** The whole identifier as it appears in the certificate. */
  readonly value: string;
  readonly country: string;
  readonly ncaShortName: string;
  readonly authorisationNumber: string;
}

const PSD2_ORG_ID = /^PSD([A-Z]{2})-([A-Z]{2,8})-(.+)$/s;

/** Control characters are never part of an NCA's register number; they are only useful to forge log lines. */
const CONTROL_CHARACTER = /\p{Cc}/u;

export function parseOrganizationIdentifier(value: string): Result<Psd2OrganizationIdentifier> {
  const match = PSD2_ORG_ID.exec(value);
  const [, country, ncaShortName, authorisationNumber] = match ?? [];
  if (country === undefined || ncaShortName === undefined || authorisationNumber === undefined) {
    return fail(
      deny("CERT_ORG_ID_INVALID", `organizationIdentifier ${JSON.stringify(value)} is not in PSD2 form`),
    );
  }
  if (CONTROL_CHARACTER.test(authorisationNumber)) {
    return fail(deny("CERT_ORG_ID_INVALID", "organizationIdentifier contains a control character"));
  }
  return ok({ value, country, ncaShortName, authorisationNumber });
}

/** The NCA that authorised the TPP is stated twice; a certificate where the two differ is inconsistent. */
export function checkAgainstNcaId(
  orgId: Psd2OrganizationIdentifier,
  ncaId: string,
): Result<Psd2OrganizationIdentifier> {
  const expected = `${orgId.country}-${orgId.ncaShortName}`;
  if (expected !== ncaId) {
    return fail(
      deny(
        "CERT_ORG_ID_INVALID",
        `organizationIdentifier names NCA ${expected} but the PSD2 statement names ${ncaId}`,
      ),
    );
  }
  return ok(orgId);
}

/** Reads the one organizationIdentifier of the subject and parses it. */
export function readOrganizationIdentifier(cert: X509Certificate): Result<Psd2OrganizationIdentifier> {
  const values = cert.subjectName.getField(ID_AT_ORGANIZATION_IDENTIFIER);
  const [value] = values;
  if (value === undefined) {
    return fail(deny("CERT_ORG_ID_INVALID", "subject has no organizationIdentifier"));
  }
  // Two identifiers would let the TPP be two organisations at once.
  if (values.length > 1) {
    return fail(deny("CERT_ORG_ID_INVALID", "subject has more than one organizationIdentifier"));
  }
  return parseOrganizationIdentifier(value);
}
