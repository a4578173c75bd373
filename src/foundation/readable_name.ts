import { Name } from "@peculiar/x509";

/**
 * Names for the DN attributes QWACs carry that the library prints as OIDs: EN 319 412-3 (legal persons:
 * organizationIdentifier), the CA/Browser Forum EV Guidelines 9.2 (businessCategory, serialNumber,
 * jurisdiction*), RFC 4519 and PKCS #9. Display only: matching always uses the OIDs.
 */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  organizationIdentifier: "2.5.4.97",
  serialNumber: "2.5.4.5",
  businessCategory: "2.5.4.15",
  jurisdictionC: "1.3.6.1.4.1.311.60.2.1.3",
  jurisdictionST: "1.3.6.1.4.1.311.60.2.1.2",
  jurisdictionL: "1.3.6.1.4.1.311.60.2.1.1",
  street: "2.5.4.9",
  postalCode: "2.5.4.17",
  SN: "2.5.4.4",
  GN: "2.5.4.42",
  title: "2.5.4.12",
  pseudonym: "2.5.4.65",
  emailAddress: "1.2.840.113549.1.9.1",
};

/**
 * The name in RFC 4514 form with the attributes above named; unknown ones stay dotted OIDs. For details
 * in denials, logs and the CLI, never for matching.
 */
export function readableName(name: Name): string {
  return new Name(name.toArrayBuffer(), ATTRIBUTE_NAMES).toString();
}
