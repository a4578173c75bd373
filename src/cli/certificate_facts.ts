import { createHash, createPublicKey } from "node:crypto";
import {
  AuthorityInfoAccessExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  type GeneralName,
  SubjectAlternativeNameExtension,
  type X509Certificate,
} from "@peculiar/x509";
import { readableName } from "../foundation/readable_name.js";
import type { CertificateSection, PublicKeySection } from "./report.js";

/** EN 319 411-2 QWAC policies and the CA/Browser Forum ones that usually sit beside them. */
const POLICY_NAMES: ReadonlyMap<string, string> = new Map([
  ["0.4.0.194112.1.4", "QEVCP-w (EU qualified website, EV)"],
  ["0.4.0.194112.1.5", "QNCP-w (EU qualified website)"],
  ["0.4.0.194112.1.6", "QNCP-w-gen"],
  ["0.4.0.194112.1.0", "QCP-n"],
  ["0.4.0.194112.1.1", "QCP-l"],
  ["0.4.0.194112.1.2", "QCP-n-qscd"],
  ["0.4.0.194112.1.3", "QCP-l-qscd"],
  ["0.4.0.19495.3.1", "PSD2 QWAC (TS 119 495)"],
  ["2.23.140.1.1", "CA/B EV"],
  ["2.23.140.1.2.2", "CA/B OV"],
  ["2.23.140.1.2.1", "CA/B DV"],
]);

const CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
const CURVE_NAMES: Readonly<Record<string, string>> = {
  prime256v1: "P-256",
  secp384r1: "P-384",
  secp521r1: "P-521",
};

/**
 * The X.509 facts `qwac inspect` prints, read defensively straight into the report's section: a real
 * certificate with one malformed extension still gets a report, with a note saying which part could not
 * be read.
 */
export function certificateSection(cert: X509Certificate): CertificateSection {
  const notes: string[] = [];
  const read = <T>(what: string, fallback: T, reader: () => T): T => {
    try {
      return reader();
    } catch (error) {
      notes.push(`${what} could not be decoded: ${error instanceof Error ? error.message : String(error)}`);
      return fallback;
    }
  };
  const aia = read("authorityInfoAccess", null, () => cert.getExtension(AuthorityInfoAccessExtension));
  return {
    subject: readableName(cert.subjectName),
    issuer: readableName(cert.issuerName),
    serialNumber: cert.serialNumber.toLowerCase(),
    sha256: createHash("sha256").update(new Uint8Array(cert.rawData)).digest("hex"),
    publicKey: read("subjectPublicKeyInfo", null, () => publicKeySection(cert)),
    subjectAltNames: read("subjectAltName", [], () => subjectAltNames(cert)),
    policies: read("certificatePolicies", [], () => policies(cert)),
    ocspUrls: names(aia?.ocsp ?? []),
    caIssuersUrls: names(aia?.caIssuers ?? []),
    crlUrls: read("cRLDistributionPoints", [], () => crlUrls(cert)),
    notes,
  };
}

function publicKeySection(cert: X509Certificate): PublicKeySection {
  const key = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: "der", type: "spki" });
  const type = key.asymmetricKeyType ?? "unknown";
  const details = key.asymmetricKeyDetails ?? {};
  if (type === "ec") {
    const curve = details.namedCurve ?? "unknown curve";
    return { algorithm: "EC", bits: CURVE_BITS[curve] ?? null, curve: CURVE_NAMES[curve] ?? curve };
  }
  if (type === "rsa" || type === "rsa-pss") {
    return {
      algorithm: type === "rsa" ? "RSA" : "RSA-PSS",
      bits: details.modulusLength ?? null,
      curve: null,
    };
  }
  return {
    algorithm: type === "ed25519" ? "Ed25519" : type === "ed448" ? "Ed448" : type,
    bits: null,
    curve: null,
  };
}

function subjectAltNames(cert: X509Certificate): string[] {
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  return san === null ? [] : san.names.items.map((name) => `${name.type}:${name.value}`);
}

function policies(cert: X509Certificate): CertificateSection["policies"] {
  const extension = cert.getExtension(CertificatePolicyExtension);
  return (extension?.policies ?? []).map((oid) => ({ oid, name: POLICY_NAMES.get(oid) ?? null }));
}

function names(list: readonly GeneralName[]): string[] {
  return list.map((name) => (name.type === "url" ? name.value : `${name.type}:${name.value}`));
}

function crlUrls(cert: X509Certificate): string[] {
  const cdp = cert.getExtension(CRLDistributionPointsExtension);
  const urls: string[] = [];
  for (const point of cdp?.distributionPoints ?? []) {
    for (const name of point.distributionPoint?.fullName ?? []) {
      if (name.uniformResourceIdentifier !== undefined) urls.push(name.uniformResourceIdentifier);
    }
  }
  return urls;
}
