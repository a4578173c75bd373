import { createHash, webcrypto } from "node:crypto";
import { X509Certificate } from "@peculiar/x509";
import { Application, SignedXml } from "xmldsigjs";
import { TrustedListError } from "./errors.js";
import { NS_DS, NS_TSL, NS_XADES } from "./namespaces.js";
import { at, child, children, elementChildren, text, type XmlDocument, type XmlElement } from "./xml.js";

/** xmldsigjs is typed against the DOM lib; these are the same objects @xmldom/xmldom builds. */
type DsigEngine = Parameters<typeof Application.setEngine>[1];
type DsigDocument = ConstructorParameters<typeof SignedXml>[0];
type DsigElement = Parameters<SignedXml["LoadXml"]>[0];

Application.setEngine("NodeJS", webcrypto as unknown as DsigEngine);

const C14N_EXC = "http://www.w3.org/2001/10/xml-exc-c14n#";
const C14N_INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties";

/** ETSI TS 119 312: SHA-256 or stronger for the signature and its references. */
const STRONG_DIGESTS: ReadonlySet<string> = new Set([
  "http://www.w3.org/2001/04/xmlenc#sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512",
]);
const SIGNATURE_METHODS: ReadonlySet<string> = new Set([
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
]);
/**
 * The XAdES CertDigest only identifies the signing certificate (EN 319 132-1 §5.2.2); v5 lists still use
 * SHA-1 there, which is no signature strength question, so it is accepted for this one purpose.
 */
const CERT_DIGESTS: Readonly<Record<string, string>> = {
  "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
  "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
};

export interface VerifiedSignature {
  readonly signer: X509Certificate;
  readonly signingTime: Date;
}

/**
 * Verifies a trust list's XAdES baseline B enveloped signature (ETSI TS 119 612 §5.7.1, EN 319 132-1) with
 * a certificate from `announced` only. xmldsigjs does the XML-DSig maths; the profile is checked here
 * first, strictly, so that nothing the maths ignores (a second signature, content inside ds:Object, a
 * reference to a part of the document) can make an altered list pass.
 */
export async function verifyListSignature(
  doc: XmlDocument,
  source: string,
  announced: readonly X509Certificate[],
): Promise<VerifiedSignature> {
  const signature = onlySignature(doc, source);
  const signedInfo = signatureStructure(signature, source);
  checkSignedInfo(signedInfo, signature, source);
  const signer = announcedSigner(signature, source, announced);
  checkKeyStrength(signer, source);
  const signingTime = checkSignedProperties(signature, signer, source);
  await checkMaths(doc, signature, signer, source);
  return { signer, signingTime };
}

/**
 * The certificate a list's KeyInfo carries, for offline tools that check the signature maths before they
 * know who should have signed; never a trust decision (verifyListSignature takes the announced set).
 */
export function embeddedSigner(doc: XmlDocument): X509Certificate | undefined {
  const signature = doc.getElementsByTagNameNS(NS_DS, "Signature")[0];
  const keyInfo = signature ? child(signature, NS_DS, "KeyInfo") : undefined;
  const cert = keyInfo
    ? children(keyInfo, NS_DS, "X509Data").flatMap((d) => children(d, NS_DS, "X509Certificate"))[0]
    : undefined;
  if (cert === undefined) return undefined;
  try {
    return new X509Certificate(Buffer.from((cert.textContent ?? "").replace(/\s+/g, ""), "base64"));
  } catch {
    return undefined;
  }
}

function profile(source: string, problem: string): TrustedListError {
  return new TrustedListError("SIGNATURE_PROFILE", `${source}: ${problem}`);
}

function onlySignature(doc: XmlDocument, source: string): XmlElement {
  const all = doc.getElementsByTagNameNS(NS_DS, "Signature");
  if (all.length === 0) throw new TrustedListError("SIGNATURE_MISSING", `${source}: no ds:Signature`);
  if (all.length > 1) throw profile(source, `${all.length} ds:Signature elements, exactly one is allowed`);
  const root = doc.documentElement as XmlElement;
  const last = elementChildren(root).at(-1);
  if (last === undefined || last !== all[0])
    throw profile(source, "ds:Signature is not the last child of the root");
  return last;
}

/** Signature = SignedInfo, SignatureValue, KeyInfo, one Object holding only QualifyingProperties. */
function signatureStructure(signature: XmlElement, source: string): XmlElement {
  if (signature.getElementsByTagNameNS(NS_TSL, "*").length > 0) {
    throw new TrustedListError("CONTENT_IN_SIGNATURE", `${source}: trust list elements inside ds:Signature`);
  }
  const names = elementChildren(signature).map((c) => `${c.namespaceURI}|${c.localName}`);
  const expected = ["SignedInfo", "SignatureValue", "KeyInfo", "Object"].map((n) => `${NS_DS}|${n}`);
  if (names.join(" ") !== expected.join(" ")) {
    throw new TrustedListError(
      "CONTENT_IN_SIGNATURE",
      `${source}: ds:Signature children are not SignedInfo, SignatureValue, KeyInfo, Object`,
    );
  }
  const object = child(signature, NS_DS, "Object") as XmlElement;
  const inObject = elementChildren(object);
  if (
    inObject.length !== 1 ||
    inObject[0]?.namespaceURI !== NS_XADES ||
    inObject[0]?.localName !== "QualifyingProperties"
  ) {
    throw new TrustedListError(
      "CONTENT_IN_SIGNATURE",
      `${source}: ds:Object holds more than xades:QualifyingProperties`,
    );
  }
  return child(signature, NS_DS, "SignedInfo") as XmlElement;
}

function algorithm(el: XmlElement | undefined): string | undefined {
  return el?.getAttribute("Algorithm") ?? undefined;
}

function transforms(reference: XmlElement): string[] {
  const list = child(reference, NS_DS, "Transforms");
  return list ? children(list, NS_DS, "Transform").map((t) => algorithm(t) ?? "") : [];
}

function checkSignedInfo(signedInfo: XmlElement, signature: XmlElement, source: string): void {
  if (algorithm(child(signedInfo, NS_DS, "CanonicalizationMethod")) !== C14N_EXC) {
    throw profile(source, "SignedInfo is not canonicalised with exclusive C14N");
  }
  const method = algorithm(child(signedInfo, NS_DS, "SignatureMethod"));
  if (method === undefined || !SIGNATURE_METHODS.has(method)) {
    throw new TrustedListError("SIGNATURE_ALGORITHM", `${source}: signature method ${String(method)}`);
  }
  const refs = children(signedInfo, NS_DS, "Reference");
  if (refs.length !== 2) throw profile(source, `${refs.length} references, exactly 2 are required`);
  for (const ref of refs) {
    const digest = algorithm(child(ref, NS_DS, "DigestMethod"));
    if (digest === undefined || !STRONG_DIGESTS.has(digest)) {
      throw new TrustedListError("SIGNATURE_ALGORITHM", `${source}: reference digest ${String(digest)}`);
    }
  }
  const whole = refs.find((r) => r.getAttribute("URI") === "" && !r.hasAttribute("Type"));
  if (whole === undefined || transforms(whole).join(" ") !== `${ENVELOPED} ${C14N_EXC}`) {
    throw profile(source, 'no reference URI="" with exactly enveloped-signature + exclusive C14N');
  }
  const props = refs.find((r) => r !== whole && r.getAttribute("Type") === SIGNED_PROPERTIES_TYPE);
  const signedProperties = at(signature, NS_DS, "Object");
  const sp = signedProperties
    ? at(signedProperties, NS_XADES, "QualifyingProperties", "SignedProperties")
    : undefined;
  const id = sp?.getAttribute("Id");
  if (props === undefined || !id || props.getAttribute("URI") !== `#${id}`) {
    throw profile(source, "the second reference is not the SignedProperties of this signature");
  }
  const spTransforms = transforms(props);
  // Some operators (AT, LI) omit the transform, so the default inclusive C14N applies (XML-DSig §4.4.3.2).
  if (spTransforms.length > 1 || !spTransforms.every((t) => t === C14N_EXC || t === C14N_INCLUSIVE)) {
    throw profile(source, "SignedProperties reference has transforms other than one C14N");
  }
}

function announcedSigner(
  signature: XmlElement,
  source: string,
  announced: readonly X509Certificate[],
): X509Certificate {
  const keyInfo = child(signature, NS_DS, "KeyInfo") as XmlElement;
  const certs = children(keyInfo, NS_DS, "X509Data").flatMap((d) => children(d, NS_DS, "X509Certificate"));
  // KeyValue may sit beside it (CZ, NL do this); it is never used: the key comes from the announced certificate.
  if (certs.length !== 1) throw profile(source, "KeyInfo must hold exactly one X509Certificate");
  const der = Buffer.from((certs[0]?.textContent ?? "").replace(/\s+/g, ""), "base64");
  const signer = announced.find((c) => Buffer.from(c.rawData).equals(der));
  if (signer === undefined) {
    throw new TrustedListError(
      "SIGNER_NOT_ANNOUNCED",
      `${source}: signed by a certificate its pointer does not name`,
    );
  }
  return signer;
}

/** ETSI TS 119 312 §6: RSA at least 2048 bits; ECDSA on P-256 or P-384 (and P-521). */
function checkKeyStrength(signer: X509Certificate, source: string): void {
  const alg = signer.publicKey.algorithm as { name: string; modulusLength?: number; namedCurve?: string };
  const rsaOk = alg.name.startsWith("RSA") && (alg.modulusLength ?? 0) >= 2048;
  const ecOk = alg.name === "ECDSA" && ["P-256", "P-384", "P-521"].includes(alg.namedCurve ?? "");
  if (!rsaOk && !ecOk) {
    throw new TrustedListError(
      "SIGNER_KEY_WEAK",
      `${source}: signer key ${alg.name} ${alg.modulusLength ?? alg.namedCurve ?? ""}`,
    );
  }
}

/** EN 319 132-1 §5.2.1 SigningTime and §5.2.2 SigningCertificateV2 (or v1 in older lists). */
function checkSignedProperties(signature: XmlElement, signer: X509Certificate, source: string): Date {
  const object = child(signature, NS_DS, "Object") as XmlElement;
  const ssp = at(object, NS_XADES, "QualifyingProperties", "SignedProperties", "SignedSignatureProperties");
  if (ssp === undefined) throw profile(source, "no SignedSignatureProperties");
  const signingCert =
    child(ssp, NS_XADES, "SigningCertificateV2") ?? child(ssp, NS_XADES, "SigningCertificate");
  const certRefs = signingCert ? children(signingCert, NS_XADES, "Cert") : [];
  const der = Buffer.from(signer.rawData);
  const matches = certRefs.some((c) => {
    const digest = child(c, NS_XADES, "CertDigest");
    const hash = CERT_DIGESTS[algorithm(digest ? child(digest, NS_DS, "DigestMethod") : undefined) ?? ""];
    const value = text(digest ? child(digest, NS_DS, "DigestValue") : undefined);
    return (
      hash !== undefined && value !== undefined && createHash(hash).update(der).digest("base64") === value
    );
  });
  if (!matches) {
    throw new TrustedListError(
      "SIGNING_CERTIFICATE_MISMATCH",
      `${source}: SigningCertificate digest is not the signer's`,
    );
  }
  const signingTime = new Date(text(child(ssp, NS_XADES, "SigningTime")) ?? "invalid");
  if (Number.isNaN(signingTime.getTime())) throw profile(source, "no SigningTime");
  if (signingTime < signer.notBefore || signingTime > signer.notAfter) {
    throw new TrustedListError(
      "SIGNING_TIME_OUTSIDE_VALIDITY",
      `${source}: SigningTime ${signingTime.toISOString()} outside the signer's validity`,
    );
  }
  return signingTime;
}

/**
 * xmldsigjs accepts a signature if ANY key found in KeyInfo verifies it (a KeyValue included), so the key
 * is supplied here, from the announced certificate only, and KeyInfo is never consulted for keys.
 */
class AnnouncedKeySignedXml extends SignedXml {
  constructor(
    doc: DsigDocument,
    private readonly signerKey: CryptoKeyLike,
  ) {
    super(doc);
  }
  protected override async GetPublicKeys(): Promise<CryptoKeyLike[]> {
    return [this.signerKey];
  }
}

type CryptoKeyLike = Awaited<ReturnType<typeof webcrypto.subtle.importKey>>;

/** The announced certificate's key, imported for the list's SignatureMethod (checked above to be strong). */
async function signerKey(signer: X509Certificate, signed: SignedXml): Promise<CryptoKeyLike> {
  const alg = signed.Algorithm as { name: string } | undefined;
  const keyAlg = signer.publicKey.algorithm as { name: string; namedCurve?: string };
  if (alg === undefined) throw new Error("no signature algorithm");
  const params = alg.name === "ECDSA" ? { name: "ECDSA", namedCurve: keyAlg.namedCurve ?? "" } : alg;
  return webcrypto.subtle.importKey("spki", new Uint8Array(signer.publicKey.rawData), params, false, [
    "verify",
  ]);
}

async function checkMaths(
  doc: XmlDocument,
  signature: XmlElement,
  signer: X509Certificate,
  source: string,
): Promise<void> {
  let valid: boolean;
  try {
    const probe = new SignedXml(doc as unknown as DsigDocument);
    probe.LoadXml(signature as unknown as DsigElement);
    const key = await signerKey(signer, probe);
    const signed = new AnnouncedKeySignedXml(doc as unknown as DsigDocument, key);
    signed.LoadXml(signature as unknown as DsigElement);
    valid = await signed.Verify();
  } catch (error) {
    throw new TrustedListError(
      "SIGNATURE_INVALID",
      `${source}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!valid)
    throw new TrustedListError("SIGNATURE_INVALID", `${source}: digest or signature value does not verify`);
}
