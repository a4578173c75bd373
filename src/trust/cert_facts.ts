import { AsnConvert } from "@peculiar/asn1-schema";
import {
  type AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  type Extension,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  type Name,
  SubjectKeyIdentifier,
  type TBSCertificate,
  Version,
} from "@peculiar/asn1-x509";
import type { X509Certificate } from "@peculiar/x509";
import { readableName } from "../foundation/readable_name.js";
import { deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";

/** RFC 3739 qcStatements: the qwac step reads it, so a critical one is understood by the pipeline. */
const ID_PE_QC_STATEMENTS = "1.3.6.1.5.5.7.1.3";

/**
 * Extensions that may be critical without failing the path (RFC 5280 §4.2: a certificate with a critical
 * extension the verifier does not process MUST be rejected). Name constraints, policy constraints and
 * inhibitAnyPolicy are deliberately absent: this verifier does not process them, so a critical one fails
 * closed instead of being ignored.
 */
const UNDERSTOOD_CRITICAL: ReadonlySet<string> = new Set([
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_extKeyUsage,
  id_ce_subjectAltName,
  id_ce_certificatePolicies,
  id_ce_subjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  ID_PE_QC_STATEMENTS,
]);

/** What path building and path rules need from one certificate, decoded once and never throwing later. */
export interface CertFacts {
  /** The DER as base64: two objects with the same id are the same certificate. */
  readonly id: string;
  /** RFC 4514 form, for details in denials and logs. */
  readonly subject: string;
  readonly issuer: string;
  /** Name keys for matching issuer to subject (see nameKey). */
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** The subjectPublicKeyInfo DER as base64: identifies the key across re-issued certificates. */
  readonly publicKeyId: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** RFC 5280 §4.1.1.2: the unsigned outer algorithm must equal the signed tbsCertificate.signature. */
  readonly signatureAlgorithmsAgree: boolean;
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLength?: number };
  /** KeyUsageFlags bit mask, when the extension is present. */
  readonly keyUsage?: number;
  readonly extKeyUsage?: readonly string[];
  /** Hex key identifiers, when present. */
  readonly subjectKeyId?: string;
  readonly authorityKeyId?: string;
  /** OIDs of critical extensions this verifier does not process. */
  readonly unhandledCritical: readonly string[];
}

const cache = new WeakMap<X509Certificate, Result<CertFacts>>();

/** The facts of `cert`, or CERT_MALFORMED if its structure or one of the extensions read here is broken. */
export function certFacts(cert: X509Certificate): Result<CertFacts> {
  let facts = cache.get(cert);
  if (facts === undefined) {
    facts = decodeFacts(cert);
    cache.set(cert, facts);
  }
  return facts;
}

export function isSelfIssued(facts: CertFacts): boolean {
  return facts.subjectKey === facts.issuerKey;
}

function decodeFacts(cert: X509Certificate): Result<CertFacts> {
  try {
    const asn = AsnConvert.parse(cert.rawData, Certificate);
    const tbs = asn.tbsCertificate;
    const versionProblem = fieldsVersionProblem(tbs);
    if (versionProblem !== undefined) return fail(deny("CERT_MALFORMED", versionProblem));
    return ok({
      id: base64(cert.rawData),
      subject: readableName(cert.subjectName),
      issuer: readableName(cert.issuerName),
      subjectKey: nameKey(tbs.subject),
      issuerKey: nameKey(tbs.issuer),
      publicKeyId: base64(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      signatureAlgorithmsAgree: sameBytes(
        AsnConvert.serialize(asn.signatureAlgorithm),
        AsnConvert.serialize(tbs.signature),
      ),
      ...extensionFacts(tbs.extensions ?? []),
    });
  } catch (error) {
    return fail(deny("CERT_MALFORMED", `certificate structure: ${errorText(error)}`));
  }
}

/**
 * RFC 5280 §4.1.2.1: extensions appear only in a version 3 certificate, the unique identifiers only in
 * version 2 or 3 (§4.1.2.8). A v1 or v2 certificate carrying extensions is not a certificate any
 * conforming issuer produces; a verifier that honoured or ignored its extensions would judge by fields
 * whose meaning the version denies, so it is refused as malformed, as OpenSSL's strict mode does.
 */
function fieldsVersionProblem(tbs: TBSCertificate): string | undefined {
  if (tbs.extensions !== undefined && tbs.version !== Version.v3) {
    return `a version ${tbs.version + 1} certificate carries extensions (RFC 5280 §4.1.2.1: version 3 only)`;
  }
  const uniqueId = tbs.issuerUniqueID !== undefined || tbs.subjectUniqueID !== undefined;
  if (uniqueId && tbs.version === Version.v1) {
    return "a version 1 certificate carries a unique identifier (RFC 5280 §4.1.2.8: version 2 or 3 only)";
  }
  return undefined;
}

type ExtensionFacts = Pick<
  CertFacts,
  "basicConstraints" | "keyUsage" | "extKeyUsage" | "subjectKeyId" | "authorityKeyId" | "unhandledCritical"
>;

/** Throws on a malformed or repeated extension (RFC 5280 §4.2: at most one instance of each). */
function extensionFacts(extensions: readonly Extension[]): ExtensionFacts {
  const seen = new Set<string>();
  const unhandledCritical: string[] = [];
  const facts: { -readonly [K in keyof ExtensionFacts]: ExtensionFacts[K] } = { unhandledCritical };
  for (const ext of extensions) {
    if (seen.has(ext.extnID)) throw new Error(`extension ${ext.extnID} appears twice`);
    seen.add(ext.extnID);
    const value = ext.extnValue.buffer;
    switch (ext.extnID) {
      case id_ce_basicConstraints: {
        const bc = AsnConvert.parse(value, BasicConstraints);
        facts.basicConstraints =
          bc.pathLenConstraint === undefined
            ? { ca: bc.cA }
            : { ca: bc.cA, pathLength: bc.pathLenConstraint };
        break;
      }
      case id_ce_keyUsage:
        facts.keyUsage = AsnConvert.parse(value, KeyUsage).toNumber();
        break;
      case id_ce_extKeyUsage:
        facts.extKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
        break;
      case id_ce_subjectKeyIdentifier:
        facts.subjectKeyId = hex(AsnConvert.parse(value, SubjectKeyIdentifier).buffer);
        break;
      case id_ce_authorityKeyIdentifier: {
        const keyId = AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier;
        if (keyId !== undefined) facts.authorityKeyId = hex(keyId.buffer);
        break;
      }
      default:
        if (ext.critical && !UNDERSTOOD_CRITICAL.has(ext.extnID)) unhandledCritical.push(ext.extnID);
    }
  }
  return facts;
}

/**
 * A comparison key for a distinguished name, close to RFC 5280 §7.1 / RFC 4518 matching (as OpenSSL does):
 * string types are not distinguished (a PrintableString issuer matches a UTF8String subject), case and
 * insignificant whitespace are folded, attributes inside a multi-valued RDN are unordered. The key only
 * selects candidate issuers; the issuer's signature is what proves issuance.
 */
export function nameKey(name: Name): string {
  const rdns = name.map((rdn) =>
    rdn.map((atv) => JSON.stringify([atv.type, attributeText(atv.value)])).sort(),
  );
  return JSON.stringify(rdns);
}

function attributeText(value: AttributeValue): string {
  if (value.anyValue !== undefined) return `#${hex(value.anyValue)}`;
  return value.toString().normalize("NFKC").toLowerCase().trim().replace(/\s+/g, " ");
}

function base64(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString("base64");
}

function hex(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString("hex");
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
