/**
 * A small certificate factory on @peculiar/x509 for the demo PKI and the tests: CAs, QWACs, QSealCs and
 * deliberately broken certificates, all real (signed with node webcrypto keys, parseable by openssl).
 * The PSD2 statement is encoded with the same schema the reader decodes with (psd2_statement_asn1.ts);
 * tests cross-check the encoding with openssl so that shared schema cannot hide a bug.
 */

import type { webcrypto } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Name as AsnName } from "@peculiar/asn1-x509";
import { id_pe_qcStatements, QCStatement, QCStatements } from "@peculiar/asn1-x509-qualified";
import {
  id_etsi_qcs_qcCompliance,
  id_etsi_qcs_qcPDS,
  id_etsi_qcs_qcSSCD,
  id_etsi_qcs_qcType,
  PdsLocation,
  QcEuPDS,
  QcType as QcTypeAsn,
} from "@peculiar/asn1-x509-qualified-etsi";
import {
  AuthorityInfoAccessExtension,
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  PemConverter,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  type X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
import { PSD2_ROLE_OIDS, type Psd2Role } from "../qwac/psd2_roles.js";
import {
  ID_ETSI_PSD2_QC_STATEMENT,
  Psd2QcType,
  psd2Text,
  RoleOfPsp,
  RolesOfPsp,
} from "../qwac/psd2_statement_asn1.js";
import { QC_TYPE_OIDS, type QcType } from "../qwac/qc_statements.js";

// The project compiles without the DOM lib; node's webcrypto types are the same objects.
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

export type KeyAlg = "RSA-2048" | "P-256" | "P-384";
export type KeyUsageName = keyof typeof KeyUsageFlags;

export const EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
export const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
export const EKU_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";

export interface IssuedCertificate {
  readonly cert: X509Certificate;
  readonly keys: CryptoKeyPair;
  /** The certificate as PEM. */
  readonly pem: string;
  /** The private key as PKCS#8 PEM. */
  readonly keyPem: string;
}

/** Who signs: a certificate and its key pair (an IssuedCertificate fits). */
export interface Issuer {
  readonly cert: X509Certificate;
  readonly keys: CryptoKeyPair;
}

export interface Psd2Spec {
  readonly roles: readonly { readonly oid: string; readonly name: string }[];
  readonly ncaName: string;
  /** e.g. FR-ACPR */
  readonly ncaId: string;
}

/** The qcStatements to put in a certificate (ETSI EN 319 412-5, TS 119 495). */
export interface QcSpec {
  /** QcCompliance. Default true. */
  readonly compliance?: boolean;
  /** QcType values, in this order. Default ["web"]; [] leaves the QcType statement out. */
  readonly types?: readonly QcType[];
  readonly psd2?: Psd2Spec;
  /** QcSSCD. Default false. */
  readonly sscd?: boolean;
  /** QcPDS with one English location. */
  readonly pdsUrl?: string;
  /** The whole extension value, used as is instead of the fields above (for malformed-extension tests). */
  readonly rawStatements?: ArrayBuffer;
}

export interface IssueOptions {
  /** RFC 4514-style DN, e.g. "CN=tpp.example, O=Example TPP, 2.5.4.97=PSDFR-ACPR-12345, C=FR". */
  readonly subject: string;
  /** Absent: self-signed. */
  readonly issuer?: Issuer;
  /** Key algorithm of the new key pair. Default "P-256". Ignored when `keys` is given. */
  readonly keyAlg?: KeyAlg;
  /** Reuse a key pair instead of generating one (re-issue, or a same-key impostor). */
  readonly keys?: CryptoKeyPair;
  /** Hex. Default: 16 random bytes, positive. */
  readonly serial?: string;
  /** Default: now minus 5 minutes, so a fresh certificate is valid on a clock that is slightly behind. */
  readonly notBefore?: Date;
  /** Default: notBefore plus 365 days. */
  readonly notAfter?: Date;
  readonly isCa?: boolean;
  readonly pathLen?: number;
  /** Default: CA keyCertSign+cRLSign (critical); leaf digitalSignature (+keyEncipherment for RSA). [] omits it. */
  readonly keyUsage?: readonly KeyUsageName[];
  /** EKU OIDs. Default: leaf serverAuth+clientAuth, CA none. [] omits it. */
  readonly extKeyUsage?: readonly string[];
  readonly subjectAltNames?: readonly string[];
  readonly aiaOcspUrl?: string;
  readonly aiaCaIssuersUrl?: string;
  readonly crlDistributionPointUrl?: string;
  /** certificatePolicies OIDs, e.g. QEVCP-w 0.4.0.194112.1.4. */
  readonly policies?: readonly string[];
  /** Default true. */
  readonly authorityKeyIdentifier?: boolean;
  /** Default true. */
  readonly subjectKeyIdentifier?: boolean;
  readonly qc?: QcSpec;
  /** Appended as is (e.g. id-pkix-ocsp-nocheck on an OCSP responder certificate). */
  readonly extraExtensions?: readonly Extension[];
}

const KEY_ALGORITHMS: Readonly<Record<KeyAlg, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams>> = {
  "RSA-2048": {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  },
  "P-256": { name: "ECDSA", namedCurve: "P-256" },
  "P-384": { name: "ECDSA", namedCurve: "P-384" },
};

/** Extractable, so the private key can be written out as PKCS#8 for openssl and the demo. */
export async function generateKey(alg: KeyAlg): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHMS[alg], true, ["sign", "verify"]);
}

/** OID/name pairs for a PSD2 statement, e.g. psd2Roles("PSP_AI", "PSP_PI"). Order is kept as given. */
export function psd2Roles(...names: Psd2Role[]): { oid: string; name: string }[] {
  return names.map((name) => ({ oid: PSD2_ROLE_OIDS[name], name }));
}

export async function issueCertificate(options: IssueOptions): Promise<IssuedCertificate> {
  const keys = options.keys ?? (await generateKey(options.keyAlg ?? "P-256"));
  const subject = subjectName(options.subject);
  const issuer: Issuer | SelfIssuer = options.issuer ?? { cert: undefined, keys };
  const notBefore = options.notBefore ?? new Date(Date.now() - 5 * 60_000);
  const cert = await X509CertificateGenerator.create({
    serialNumber: options.serial,
    subject,
    // The issuer name is taken from the issuer certificate, not re-parsed from text, so its string types match.
    issuer: issuer.cert?.subjectName ?? subject,
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 365 * 86_400_000),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithm(issuer.keys.privateKey),
    extensions: await extensions(options, keys, issuer),
  });
  return { cert, keys, pem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}

/** ECDSA keys sign with the hash that matches the curve (RFC 5480 section 4); RSA keys carry their hash. */
function signingAlgorithm(key: CryptoKey): webcrypto.Algorithm | webcrypto.EcdsaParams {
  const algorithm = key.algorithm as Partial<webcrypto.EcKeyAlgorithm>;
  if (algorithm.namedCurve === "P-384") {
    return { name: "ECDSA", hash: "SHA-384" };
  }
  if (algorithm.namedCurve !== undefined) {
    return { name: "ECDSA", hash: "SHA-256" };
  }
  return { name: key.algorithm.name };
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

/** Attribute keywords the DN parser of @peculiar/x509 does not know by name. */
const EXTRA_NAMES: Readonly<Record<string, string>> = {
  organizationIdentifier: "2.5.4.97",
  serialNumber: "2.5.4.5",
  street: "2.5.4.9",
  postalCode: "2.5.4.17",
  businessCategory: "2.5.4.15",
  jurisdictionC: "1.3.6.1.4.1.311.60.2.1.3",
};

/** X.520 types that are PrintableString by definition; every other DirectoryString is written as UTF8String. */
const PRINTABLE_ONLY: ReadonlySet<string> = new Set([
  "2.5.4.6", // countryName
  "2.5.4.5", // serialNumber
  "2.5.4.46", // dnQualifier
  "1.3.6.1.4.1.311.60.2.1.3", // jurisdictionCountryName
]);

/**
 * RFC 5280 4.1.2.4 asks for UTF8String in DirectoryString attributes; @peculiar/x509 picks PrintableString
 * whenever the text allows it. Re-encoding keeps PrintableString only where X.520 requires it, so
 * organizationIdentifier comes out as UTF8String as in real QWACs.
 */
function subjectName(dn: string): Name {
  const asn = AsnConvert.parse(new Name(dn, EXTRA_NAMES).toArrayBuffer(), AsnName);
  for (const attribute of asn.flat()) {
    const value = attribute.value;
    if (value.printableString !== undefined && !PRINTABLE_ONLY.has(attribute.type)) {
      value.utf8String = value.printableString;
      value.printableString = undefined;
    }
  }
  return new Name(AsnConvert.serialize(asn));
}

async function extensions(
  options: IssueOptions,
  keys: CryptoKeyPair,
  issuer: Issuer | SelfIssuer,
): Promise<Extension[]> {
  const isCa = options.isCa ?? false;
  const list: Extension[] = [];
  if (isCa) {
    list.push(new BasicConstraintsExtension(true, options.pathLen, true));
  }
  const keyUsage = options.keyUsage ?? defaultKeyUsage(isCa, keys);
  if (keyUsage.length > 0) {
    list.push(new KeyUsagesExtension(keyUsageFlags(keyUsage), true));
  }
  const extKeyUsage = options.extKeyUsage ?? (isCa ? [] : [EKU_SERVER_AUTH, EKU_CLIENT_AUTH]);
  if (extKeyUsage.length > 0) {
    list.push(new ExtendedKeyUsageExtension([...extKeyUsage]));
  }
  if (options.subjectAltNames !== undefined && options.subjectAltNames.length > 0) {
    list.push(
      new SubjectAlternativeNameExtension(options.subjectAltNames.map((value) => ({ type: "dns", value }))),
    );
  }
  if (options.subjectKeyIdentifier ?? true) {
    list.push(await SubjectKeyIdentifierExtension.create(keys.publicKey));
  }
  if (options.authorityKeyIdentifier ?? true) {
    list.push(await authorityKeyIdentifier(issuer));
  }
  list.push(...accessExtensions(options));
  if (options.policies !== undefined && options.policies.length > 0) {
    list.push(new CertificatePolicyExtension([...options.policies]));
  }
  if (options.qc !== undefined) {
    list.push(qcStatementsExtension(options.qc));
  }
  list.push(...(options.extraExtensions ?? []));
  return list;
}

/** A self-signed certificate is its own issuer before it exists: only the keys are known. */
interface SelfIssuer {
  readonly cert: undefined;
  readonly keys: CryptoKeyPair;
}

function defaultKeyUsage(isCa: boolean, keys: CryptoKeyPair): KeyUsageName[] {
  if (isCa) {
    return ["keyCertSign", "cRLSign"];
  }
  // RSA key exchange in TLS 1.2 encrypts with the certificate key; ECDSA keys only sign.
  return keys.publicKey.algorithm.name === "ECDSA"
    ? ["digitalSignature"]
    : ["digitalSignature", "keyEncipherment"];
}

function keyUsageFlags(names: readonly KeyUsageName[]): KeyUsageFlags {
  let flags = 0;
  for (const name of names) {
    flags |= KeyUsageFlags[name];
  }
  return flags;
}

/** AKI = the issuer's SKI when it has one (RFC 5280 4.2.1.1), so chain builders can match on it. */
async function authorityKeyIdentifier(issuer: Issuer | SelfIssuer): Promise<Extension> {
  const issuerSki = issuer.cert?.getExtension(SubjectKeyIdentifierExtension);
  if (issuerSki) {
    return new AuthorityKeyIdentifierExtension(issuerSki.keyId);
  }
  return AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey);
}

function accessExtensions(options: IssueOptions): Extension[] {
  const list: Extension[] = [];
  if (options.aiaOcspUrl !== undefined || options.aiaCaIssuersUrl !== undefined) {
    list.push(
      new AuthorityInfoAccessExtension({
        ...(options.aiaOcspUrl === undefined ? {} : { ocsp: options.aiaOcspUrl }),
        ...(options.aiaCaIssuersUrl === undefined ? {} : { caIssuers: options.aiaCaIssuersUrl }),
      }),
    );
  }
  if (options.crlDistributionPointUrl !== undefined) {
    list.push(new CRLDistributionPointsExtension([options.crlDistributionPointUrl]));
  }
  return list;
}

/** EN 319 412-5 4.1: qcStatements is not critical. */
export function qcStatementsExtension(spec: QcSpec): Extension {
  const value = spec.rawStatements ?? AsnConvert.serialize(new QCStatements(buildQcStatements(spec)));
  return new Extension(id_pe_qcStatements, false, value);
}

/**
 * The statements of a QcSpec, in the order QTSPs commonly use. Exported so a test can reorder or edit
 * them and pass the re-encoded result as `rawStatements`.
 */
export function buildQcStatements(spec: QcSpec): QCStatement[] {
  const statements: QCStatement[] = [];
  if (spec.compliance ?? true) {
    statements.push(qcStatement(id_etsi_qcs_qcCompliance));
  }
  if (spec.sscd ?? false) {
    statements.push(qcStatement(id_etsi_qcs_qcSSCD));
  }
  const types = spec.types ?? ["web"];
  if (types.length > 0) {
    const oids = types.map((type) => QC_TYPE_OIDS[type]);
    statements.push(qcStatement(id_etsi_qcs_qcType, AsnConvert.serialize(new QcTypeAsn(oids))));
  }
  if (spec.pdsUrl !== undefined) {
    const pds = new QcEuPDS([new PdsLocation({ url: spec.pdsUrl, language: "en" })]);
    statements.push(qcStatement(id_etsi_qcs_qcPDS, AsnConvert.serialize(pds)));
  }
  if (spec.psd2 !== undefined) {
    statements.push(qcStatement(ID_ETSI_PSD2_QC_STATEMENT, encodePsd2Statement(spec.psd2)));
  }
  return statements;
}

export function encodePsd2Statement(spec: Psd2Spec): ArrayBuffer {
  const roles = spec.roles.map(
    (role) => new RoleOfPsp({ roleOfPspOid: role.oid, roleOfPspName: psd2Text(role.name) }),
  );
  const statement = new Psd2QcType({
    rolesOfPSP: new RolesOfPsp(roles),
    nCAName: psd2Text(spec.ncaName),
    nCAId: psd2Text(spec.ncaId),
  });
  return AsnConvert.serialize(statement);
}

/** One QCStatement; `info` absent leaves statementInfo out of the encoding (RFC 3739: OPTIONAL). */
export function qcStatement(id: string, info?: ArrayBuffer): QCStatement {
  const statement = new QCStatement();
  statement.statementId = id;
  if (info === undefined) {
    // The class defaults statementInfo to an empty buffer, which is not valid DER for ANY.
    Reflect.deleteProperty(statement, "statementInfo");
  } else {
    statement.statementInfo = info;
  }
  return statement;
}
