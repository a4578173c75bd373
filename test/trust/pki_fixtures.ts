/**
 * Certificate builders for the trust tests, on top of src/demo/certificate_factory.ts, with a fixed clock: every
 * certificate gets explicit dates around NOW, so no test depends on the wall clock.
 */
import type { webcrypto } from "node:crypto";
import {
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  type Extension,
  type X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
import {
  type CryptoKeyPair,
  EKU_CLIENT_AUTH,
  type IssuedCertificate,
  type IssueOptions,
  type Issuer,
  issueCertificate,
} from "../../src/demo/certificate_factory.js";

export const NOW = new Date("2025-06-01T00:00:00Z");

export const CA_VALIDITY = {
  notBefore: new Date("2024-01-01T00:00:00Z"),
  notAfter: new Date("2034-01-01T00:00:00Z"),
} as const;

export const LEAF_VALIDITY = {
  notBefore: new Date("2025-01-01T00:00:00Z"),
  notAfter: new Date("2026-01-01T00:00:00Z"),
} as const;

type Extra = Partial<Omit<IssueOptions, "subject" | "issuer">>;

export function rootCa(subject: string, extra: Extra = {}): Promise<IssuedCertificate> {
  return issueCertificate({ subject, isCa: true, ...CA_VALIDITY, ...extra });
}

export function intermediateCa(
  subject: string,
  issuer: Issuer,
  extra: Extra = {},
): Promise<IssuedCertificate> {
  return issueCertificate({ subject, issuer, isCa: true, ...CA_VALIDITY, ...extra });
}

/** A TLS client certificate: extKeyUsage clientAuth only unless told otherwise. */
export function clientLeaf(subject: string, issuer: Issuer, extra: Extra = {}): Promise<IssuedCertificate> {
  return issueCertificate({ subject, issuer, extKeyUsage: [EKU_CLIENT_AUTH], ...LEAF_VALIDITY, ...extra });
}

export function rsaKeys(hash: "SHA-1" | "SHA-256"): Promise<CryptoKeyPair> {
  const algorithm: webcrypto.RsaHashedKeyGenParams = {
    name: "RSASSA-PKCS1-v1_5",
    hash,
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
  };
  return crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
}

/** An RSA-PSS root and a leaf it signed (the factory signs PKCS#1 v1.5 only). */
export async function rsaPssRootAndLeaf(): Promise<{ root: X509Certificate; leaf: X509Certificate }> {
  const algorithm: webcrypto.RsaHashedKeyGenParams = {
    name: "RSA-PSS",
    hash: "SHA-256",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
  };
  const rootKeys = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const leafKeys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const signingAlgorithm = { name: "RSA-PSS", saltLength: 32 } as webcrypto.RsaPssParams;
  const root = await X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=PSS Root",
    ...CA_VALIDITY,
    keys: rootKeys,
    signingAlgorithm,
    extensions: [new BasicConstraintsExtension(true, undefined, true)],
  });
  const leaf = await X509CertificateGenerator.create({
    serialNumber: "02",
    subject: "CN=tpp.example",
    issuer: root.subjectName,
    ...LEAF_VALIDITY,
    publicKey: leafKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm,
    extensions: [new ExtendedKeyUsageExtension([EKU_CLIENT_AUTH])],
  });
  return { root, leaf };
}

/**
 * A leaf whose issuer field is written from text rather than copied from the issuer's subject bytes
 * (the factory always copies), to prove name matching tolerates encoding and case differences.
 */
export async function leafWithIssuerText(
  subject: string,
  issuerText: string,
  issuer: Issuer,
  extensions: Extension[] = [],
): Promise<X509Certificate> {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  return X509CertificateGenerator.create({
    serialNumber: "0a",
    subject,
    issuer: issuerText,
    ...LEAF_VALIDITY,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } as webcrypto.EcdsaParams,
    extensions,
  });
}
