import { createHash } from "node:crypto";
import {
  AuthorityInfoAccessExtension,
  BasicConstraintsExtension,
  CRLDistributionPointsExtension,
  type GeneralName,
  type X509Certificate,
} from "@peculiar/x509";
import * as pkijs from "pkijs";
import { deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";
import { certificateParts } from "../trust/certificate_der.js";
import type { CertIdHashes, RevocationSubject } from "./revocation.js";

/**
 * Everything a Check needs about (leaf, issuer), computed once on the cold path: the CertID hashes for
 * both allowed algorithms, the cache key, the responder and CRL URLs, and what selects the per-issuer
 * configuration. The caller keeps the result with its cached certificate.
 */
export function prepareSubject(leaf: X509Certificate, issuer: X509Certificate): Result<RevocationSubject> {
  const parts = certificateParts(new Uint8Array(leaf.rawData));
  const issuerFacts = issuerFactsOf(issuer);
  if (parts === undefined || issuerFacts === undefined) {
    return fail(deny("CERT_MALFORMED", "revocation: cannot decode the certificate or its issuer"));
  }
  // RFC 6960 4.1.1: the name hash is over the DER of the issuer field of the certificate being checked,
  // the key hash over the issuer's subjectPublicKey BIT STRING value.
  const { issuerName, serial } = parts;
  const { issuerKey, fingerprint } = issuerFacts;
  const sha256 = certIdHashes("sha256", issuerName, issuerKey);
  const serialHex = normaliseSerialHex(Buffer.from(serial).toString("hex"));
  return ok(
    Object.freeze({
      issuer,
      // The whole CertID (name hash, key hash, serial): a renamed CA that kept its key is another issuer.
      key: `${Buffer.from(sha256.issuerNameHash).toString("hex")}:${Buffer.from(sha256.issuerKeyHash).toString("hex")}:${serialHex}`,
      serial: new Uint8Array(serial),
      serialHex,
      certId: Object.freeze({ sha1: certIdHashes("sha1", issuerName, issuerKey), sha256 }),
      ocspUrls: Object.freeze(ocspUrlsOf(leaf)),
      crlUrls: Object.freeze(crlUrlsOf(leaf)),
      isCa: isCaCertificate(leaf),
      issuerFingerprint: fingerprint,
      issuerSubject: issuer.subject,
    }),
  );
}

/**
 * The leaf's subject with the CAs to check along with it: every certificate on `path` (leaf first,
 * anchor last, as verifyChain returns it) strictly between the leaf and the anchor that names an OCSP
 * responder or a CRL (RFC 5280 6.3). The anchor is trusted as configured, not checked. A CA naming
 * neither is not checked: there is nothing to ask, and such a CA is distrusted by removing it (or its
 * root) from the trust configuration (docs/revocation.md).
 */
export function prepareChainSubject(path: readonly X509Certificate[]): Result<RevocationSubject> {
  const [leaf, issuer] = path;
  if (leaf === undefined || issuer === undefined) {
    return fail(deny("CERT_MALFORMED", "revocation: a path needs a leaf and its issuer"));
  }
  const subject = prepareSubject(leaf, issuer);
  if (!subject.ok) return subject;
  const cas: RevocationSubject[] = [];
  for (let i = 1; i < path.length - 1; i++) {
    const ca = caSubjectOf(path[i]!, path[i + 1]!);
    if (!ca.ok) return ca;
    if (ca.value !== undefined) cas.push(ca.value);
  }
  return cas.length === 0 ? subject : ok(Object.freeze({ ...subject.value, cas: Object.freeze(cas) }));
}

/** Per (CA, issuer) object pair, once: a CA's subject is shared by all its leaves' subjects. */
const caSubjects = new WeakMap<
  X509Certificate,
  { readonly issuer: X509Certificate; readonly subject: RevocationSubject | undefined }
>();

function caSubjectOf(ca: X509Certificate, issuer: X509Certificate): Result<RevocationSubject | undefined> {
  const cached = caSubjects.get(ca);
  if (cached !== undefined && cached.issuer === issuer) return ok(cached.subject);
  const prepared = prepareSubject(ca, issuer);
  if (!prepared.ok) return prepared;
  const { ocspUrls, crlUrls } = prepared.value;
  const subject =
    ocspUrls.length === 0 && crlUrls.length === 0
      ? undefined
      : Object.freeze({ ...prepared.value, ca: ca.subject });
  caSubjects.set(ca, { issuer, subject });
  return ok(subject);
}

/** basicConstraints cA (RFC 5280 4.2.1.9); an unreadable or absent extension counts as an end entity. */
function isCaCertificate(cert: X509Certificate): boolean {
  return extensionOrNull(() => cert.getExtension(BasicConstraintsExtension))?.ca === true;
}

interface IssuerFacts {
  readonly issuerKey: Uint8Array;
  readonly fingerprint: string;
}

/** Per issuer, once: thousands of leaves share a handful of issuing CAs. */
const issuerFactsCache = new WeakMap<X509Certificate, IssuerFacts>();

function issuerFactsOf(issuer: X509Certificate): IssuerFacts | undefined {
  const cached = issuerFactsCache.get(issuer);
  if (cached !== undefined) return cached;
  let issuerAsn: pkijs.Certificate;
  try {
    issuerAsn = pkijs.Certificate.fromBER(issuer.rawData);
  } catch {
    return undefined;
  }
  const facts = {
    issuerKey: new Uint8Array(issuerAsn.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
    fingerprint: createHash("sha256").update(new Uint8Array(issuer.rawData)).digest("hex"),
  };
  issuerFactsCache.set(issuer, facts);
  return facts;
}

/** Hex of an INTEGER's value without leading zeros, so "00ab" (DER) and "ab" (some printers) agree. */
export function normaliseSerialHex(hex: string): string {
  const trimmed = hex.toLowerCase().replace(/^0+/, "");
  return trimmed === "" ? "0" : trimmed;
}

function certIdHashes(
  algorithm: "sha1" | "sha256",
  issuerName: Uint8Array,
  issuerKey: Uint8Array,
): CertIdHashes {
  return Object.freeze({
    issuerNameHash: new Uint8Array(createHash(algorithm).update(issuerName).digest()),
    issuerKeyHash: new Uint8Array(createHash(algorithm).update(issuerKey).digest()),
  });
}

function ocspUrlsOf(leaf: X509Certificate): string[] {
  const aia = extensionOrNull(() => leaf.getExtension(AuthorityInfoAccessExtension));
  return aia === null ? [] : httpUrls(aia.ocsp);
}

/**
 * Only distribution points that cover every reason and whose CRL the issuer signs itself: a point with
 * `reasons` (a partitioned CRL) or a `cRLIssuer` (an indirect CRL) cannot alone prove "not revoked".
 */
export function crlUrlsOf(cert: X509Certificate): string[] {
  const cdp = extensionOrNull(() => cert.getExtension(CRLDistributionPointsExtension));
  if (cdp === null) return [];
  const urls: string[] = [];
  for (const point of cdp.distributionPoints) {
    if (point.reasons !== undefined || point.cRLIssuer !== undefined) continue;
    for (const name of point.distributionPoint?.fullName ?? []) {
      const url = name.uniformResourceIdentifier;
      if (url !== undefined && isHttpUrl(url)) urls.push(url);
    }
  }
  return urls;
}

function httpUrls(names: readonly GeneralName[]): string[] {
  return names.filter((name) => name.type === "url" && isHttpUrl(name.value)).map((name) => name.value);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** A malformed AIA or CDP extension means "no URL from it", so the fail mode decides, not an exception. */
function extensionOrNull<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}
