import { createHash } from "node:crypto";
import {
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate,
} from "@peculiar/x509";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { certFacts } from "../trust/cert_facts.js";
import { issuedBy } from "../trust/signature.js";
import { failed, type RevocationResult, success } from "./failure.js";
import type { RevocationSubject } from "./revocation.js";
import { crlUrlsOf, normaliseSerialHex } from "./subject.js";

/**
 * Who may sign an OCSP response (RFC 6960 4.2.2.2): the CA that issued the certificate, or a responder
 * certificate that CA issued for the purpose. No I/O; the responder's own revocation, when it must be
 * checked, is handed back to the caller.
 */

const ID_PKIX_OCSP_NOCHECK = "1.3.6.1.5.5.7.48.1.5";
const ID_KP_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";

export interface SignerContext {
  readonly subject: RevocationSubject;
  readonly now: Date;
  readonly clockSkewMs: number;
}

export interface SignerFacts {
  readonly signer: "issuer" | "delegated";
  /**
   * Set when a delegated responder's certificate has no id-pkix-ocsp-nocheck: RFC 6960 4.2.2.2.1 then
   * asks the client to check the responder's own revocation, which the checker does against the CRL.
   */
  readonly responderToCheck: { readonly serialHex: string; readonly crlUrls: readonly string[] } | undefined;
}

/**
 * RFC 6960 4.2.2.2: the signer is the CA that issued the certificate, or a responder certificate that
 * CA issued with id-kp-OCSPSigning. Candidates are those the responderID names; a certificate merely
 * included in the response proves nothing until it chains to the issuer.
 */
export async function authenticatedSigner(
  basic: pkijs.BasicOCSPResponse,
  options: SignerContext,
): Promise<RevocationResult<SignerFacts>> {
  const issuer = parsedIssuer(options.subject.issuer);
  const responderId: unknown = basic.tbsResponseData.responderID;
  let sawValidSignature = false;
  let refusal = "";
  const namesIssuer = namesSigner(responderId, issuer, options.subject.certId.sha1.issuerKeyHash);
  if (namesIssuer && (await signatureVerifies(basic, issuer))) {
    return success({ signer: "issuer", responderToCheck: undefined });
  }
  for (const candidate of basic.certs ?? []) {
    if (!namesSigner(responderId, candidate, sha1KeyHash(candidate))) continue;
    if (!(await signatureVerifies(basic, candidate))) continue;
    sawValidSignature = true;
    const authorised = await delegatedResponder(candidate, options);
    if (authorised.ok) return authorised;
    refusal = authorised.error.detail;
  }
  if (sawValidSignature) return failed("unauthorised-signer", refusal);
  return namesAnyCandidate(responderId, issuer, basic.certs ?? [], options)
    ? failed("bad-signature", "the response signature does not verify with the responder's key")
    : failed("unknown-signer", "the responderID names neither the issuer nor an included certificate");
}

function namesAnyCandidate(
  responderId: unknown,
  issuer: pkijs.Certificate,
  certs: readonly pkijs.Certificate[],
  options: SignerContext,
): boolean {
  return (
    namesSigner(responderId, issuer, options.subject.certId.sha1.issuerKeyHash) ||
    certs.some((cert) => namesSigner(responderId, cert, sha1KeyHash(cert)))
  );
}

/** ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash (SHA-1 of the subjectPublicKey value) }. */
function namesSigner(responderId: unknown, cert: pkijs.Certificate, keySha1: Uint8Array): boolean {
  if (responderId instanceof pkijs.RelativeDistinguishedNames) return responderId.isEqual(cert.subject);
  if (responderId instanceof asn1js.OctetString)
    return bytesEqual(responderId.valueBlock.valueHexView, keySha1);
  return false;
}

function sha1KeyHash(cert: pkijs.Certificate): Uint8Array {
  return createHash("sha1")
    .update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
    .digest();
}

async function signatureVerifies(
  basic: pkijs.BasicOCSPResponse,
  signer: pkijs.Certificate,
): Promise<boolean> {
  try {
    return await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(
        basic.tbsResponseData.tbsView,
        basic.signature,
        signer.subjectPublicKeyInfo,
        basic.signatureAlgorithm,
      );
  } catch {
    // An unsupported algorithm or a key that does not fit the signature is a signature that does not verify.
    return false;
  }
}

/** The issuing CA as pkijs sees it, parsed once per CA rather than once per response. */
const parsedIssuers = new WeakMap<X509Certificate, pkijs.Certificate>();

function parsedIssuer(issuer: X509Certificate): pkijs.Certificate {
  let parsed = parsedIssuers.get(issuer);
  if (parsed === undefined) {
    parsed = pkijs.Certificate.fromBER(issuer.rawData);
    parsedIssuers.set(issuer, parsed);
  }
  return parsed;
}

/**
 * Responder certificates this CA has been shown to have issued for OCSP signing, by the SHA-256 of their
 * DER: a responder signs thousands of responses, and whether the CA issued it with id-kp-OCSPSigning
 * depends only on the two certificates' bytes. Validity at "now" is still checked on every response.
 */
const authorisedResponders = new WeakMap<X509Certificate, Map<string, AuthorisedResponder>>();

interface AuthorisedResponder {
  readonly subject: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly responderToCheck: SignerFacts["responderToCheck"];
}

async function delegatedResponder(
  candidate: pkijs.Certificate,
  options: SignerContext,
): Promise<RevocationResult<SignerFacts>> {
  const der = candidate.toSchema().toBER(false);
  const issuer = options.subject.issuer;
  const known = authorisedResponders.get(issuer) ?? new Map<string, AuthorisedResponder>();
  authorisedResponders.set(issuer, known);
  const fingerprint = createHash("sha256").update(new Uint8Array(der)).digest("hex");
  let authorised = known.get(fingerprint);
  if (authorised === undefined) {
    const checked = await issuedForOcspSigning(new X509Certificate(der), issuer);
    if (!checked.ok) return checked;
    authorised = checked.value;
    // Bounded: a CA has a handful of responders; an attacker cannot add entries (the CA must have signed).
    if (known.size < 64) known.set(fingerprint, authorised);
  }
  const now = options.now.getTime();
  if (authorised.notBefore > now + options.clockSkewMs || authorised.notAfter < now - options.clockSkewMs) {
    return failed("unauthorised-signer", `responder ${authorised.subject} is outside its validity period`);
  }
  return success({ signer: "delegated", responderToCheck: authorised.responderToCheck });
}

async function issuedForOcspSigning(
  responder: X509Certificate,
  issuer: X509Certificate,
): Promise<RevocationResult<AuthorisedResponder>> {
  const facts = certFacts(responder);
  if (!facts.ok)
    return failed("unauthorised-signer", `responder certificate: ${facts.error.detail ?? "malformed"}`);
  // The same signature rules as the certification path (no SHA-1, no short RSA keys), not a laxer copy.
  const issuedByCa =
    responder.issuerName.toString() === issuer.subjectName.toString() &&
    (await issuedBy(responder, facts.value, issuer)).ok;
  if (!issuedByCa)
    return failed("unauthorised-signer", `responder ${responder.subject} was not issued by the CA`);
  const unhandled = facts.value.unhandledCritical.filter((oid) => oid !== ID_PKIX_OCSP_NOCHECK);
  if (unhandled.length > 0) {
    return failed(
      "unauthorised-signer",
      `responder ${responder.subject} has unhandled critical ${unhandled.join(",")}`,
    );
  }
  const eku = responder.getExtension(ExtendedKeyUsageExtension);
  if (eku === null || !eku.usages.includes(ID_KP_OCSP_SIGNING)) {
    return failed("unauthorised-signer", `responder ${responder.subject} lacks id-kp-OCSPSigning`);
  }
  const keyUsage = responder.getExtension(KeyUsagesExtension);
  if (keyUsage !== null && (keyUsage.usages & KeyUsageFlags.digitalSignature) === 0) {
    return failed("unauthorised-signer", `responder ${responder.subject} key usage lacks digitalSignature`);
  }
  const nocheck = responder.getExtension(ID_PKIX_OCSP_NOCHECK) !== null;
  return success({
    subject: responder.subject,
    notBefore: responder.notBefore.getTime(),
    notAfter: responder.notAfter.getTime(),
    responderToCheck: nocheck
      ? undefined
      : { serialHex: normaliseSerialHex(responder.serialNumber), crlUrls: crlUrlsOf(responder) },
  });
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
