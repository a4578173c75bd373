import { createPublicKey, type KeyObject, verify as verifySignature } from "node:crypto";
import type { X509Certificate } from "@peculiar/x509";
import { fail, ok, type Result } from "../foundation/result.js";
import type { CertFacts } from "./cert_facts.js";
import { certificateParts } from "./certificate_der.js";

/**
 * Algorithms accepted on a certification path, in line with ETSI TS 119 312 for qualified certificates:
 * SHA-1 and MD5 signatures are refused, RSA keys below 2048 bits are refused. The upper RSA bound keeps a
 * client-offered certificate with a huge key from costing more than a normal verification.
 */
const SIGNATURE_HASHES: ReadonlySet<string> = new Set(["SHA-256", "SHA-384", "SHA-512"]);
const RSA_SIGNATURES: ReadonlySet<string> = new Set(["RSASSA-PKCS1-v1_5", "RSA-PSS"]);
const EC_CURVES: ReadonlySet<string> = new Set(["P-256", "P-384", "P-521"]);
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 8192;

/** Whether `issuer`'s key signed `child`; when not, why (for the denial detail). */
export type IssuedBy = Result<true, string>;

/** The parts of a WebCrypto key algorithm looked at here (RsaHashedKeyAlgorithm / EcKeyAlgorithm). */
interface KeyAlgorithmFields {
  readonly name?: string;
  readonly modulusLength?: number;
  readonly namedCurve?: string;
}

export const NOT_SIGNED = "signature does not verify";
const SIGNED: IssuedBy = ok(true);

/**
 * The only proof that `issuer` issued `child`: the child's signature verifies with the issuer's public key.
 * A matching name or key identifier is a hint, never a proof. Never throws.
 */
export async function issuedBy(
  child: X509Certificate,
  childFacts: CertFacts,
  issuer: X509Certificate,
): Promise<IssuedBy> {
  try {
    const refused = refusedAlgorithm(child, childFacts, issuer);
    if (refused !== undefined) return fail(refused);
    const verified =
      verifiedNatively(child, issuer) ??
      (await child.verify({ publicKey: issuer.publicKey, signatureOnly: true }));
    return verified ? SIGNED : fail(NOT_SIGNED);
  } catch {
    return fail(NOT_SIGNED);
  }
}

function refusedAlgorithm(
  child: X509Certificate,
  childFacts: CertFacts,
  issuer: X509Certificate,
): string | undefined {
  if (!childFacts.signatureAlgorithmsAgree) {
    return `"${childFacts.subject}": signatureAlgorithm differs from tbsCertificate.signature`;
  }
  // null when @peculiar/x509 does not know the algorithm OID at all.
  const signature = child.signatureAlgorithm as { name: string; hash?: { name?: string } } | null;
  if (signature === null) return `"${childFacts.subject}": unknown signature algorithm`;
  const hash = signature.hash?.name;
  if (hash === undefined || !SIGNATURE_HASHES.has(hash)) {
    return `"${childFacts.subject}": signature hash ${hash ?? "unknown"} is not accepted`;
  }
  const key = issuer.publicKey.algorithm as KeyAlgorithmFields;
  if (RSA_SIGNATURES.has(signature.name)) return refusedRsaKey(key);
  if (signature.name === "ECDSA") return refusedEcKey(key);
  return `"${childFacts.subject}": signature algorithm ${signature.name} is not accepted`;
}

function refusedRsaKey(key: KeyAlgorithmFields): string | undefined {
  if (key.modulusLength === undefined || !RSA_SIGNATURES.has(key.name ?? "")) return NOT_SIGNED;
  if (key.modulusLength < RSA_MIN_BITS || key.modulusLength > RSA_MAX_BITS) {
    return `issuer RSA key of ${key.modulusLength} bits is outside ${RSA_MIN_BITS}..${RSA_MAX_BITS}`;
  }
  return undefined;
}

function refusedEcKey(key: KeyAlgorithmFields): string | undefined {
  if (key.name !== "ECDSA" || key.namedCurve === undefined) return NOT_SIGNED;
  return EC_CURVES.has(key.namedCurve) ? undefined : `issuer curve ${key.namedCurve} is not accepted`;
}

/**
 * Issuer keys as node KeyObjects, made once per issuer certificate: importing the key through WebCrypto on
 * every verification cost more than the verification itself on the cold path.
 */
const issuerKeys = new WeakMap<X509Certificate, KeyObject>();

const NODE_HASHES: Readonly<Record<string, string>> = {
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/**
 * RSA PKCS#1 v1.5 and ECDSA with node:crypto directly (X.509 carries ECDSA signatures DER-encoded, which is
 * node's default). undefined: not handled here (RSA-PSS, or an unexpected encoding), use WebCrypto.
 */
function verifiedNatively(child: X509Certificate, issuer: X509Certificate): boolean | undefined {
  const signature = child.signatureAlgorithm as { name: string; hash?: { name?: string } } | null;
  const hash = NODE_HASHES[signature?.hash?.name ?? ""];
  if (hash === undefined || (signature?.name !== "RSASSA-PKCS1-v1_5" && signature?.name !== "ECDSA"))
    return undefined;
  const parts = certificateParts(new Uint8Array(child.rawData));
  if (parts === undefined) return undefined;
  let key = issuerKeys.get(issuer);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(issuer.publicKey.rawData), format: "der", type: "spki" });
    issuerKeys.set(issuer, key);
  }
  return verifySignature(hash, parts.tbs, key, parts.signature);
}
