import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { crlReasonName } from "./crl.js";
import { failed, type RevocationResult, success } from "./failure.js";
import { authenticatedSigner, bytesEqual, type SignerFacts } from "./ocsp_signer.js";
import type { CertIdHashes, RevocationSubject } from "./revocation.js";
import { normaliseSerialHex } from "./subject.js";

/**
 * OCSP (RFC 6960, profiled by RFC 5019) without I/O: build a request, and turn response bytes into a
 * verified answer for one certificate, or a typed failure. A response that fails any rule is not an answer.
 */

export type CertIdHash = "sha1" | "sha256";

const HASH_OID: Record<CertIdHash, string> = { sha1: "1.3.14.3.2.26", sha256: "2.16.840.1.101.3.4.2.1" };
const ID_PKIX_OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1";
const ID_PKIX_OCSP_NONCE = "1.3.6.1.5.5.7.48.1.2";

const RESPONSE_STATUS_NAMES: readonly string[] = [
  "successful",
  "malformedRequest",
  "internalError",
  "tryLater",
  "(4 unused)",
  "sigRequired",
  "unauthorized",
];

export interface OcspRequestSpec {
  readonly subject: RevocationSubject;
  readonly hash: CertIdHash;
  /** RFC 8954: 1 to 32 octets; omitted when no nonce is wanted (RFC 5019 responders pre-sign answers). */
  readonly nonce?: Uint8Array;
}

/** The DER of an unsigned OCSPRequest for one certificate. */
export function buildOcspRequest(spec: OcspRequestSpec): Uint8Array {
  const hashes = spec.subject.certId[spec.hash];
  const tbsRequest = new pkijs.TBSRequest({
    requestList: [new pkijs.Request({ reqCert: certIdOf(spec.subject.serial, hashes, spec.hash) })],
  });
  if (spec.nonce !== undefined) {
    tbsRequest.requestExtensions = [
      new pkijs.Extension({
        extnID: ID_PKIX_OCSP_NONCE,
        critical: false,
        extnValue: nonceExtensionValue(spec.nonce),
      }),
    ];
  }
  return new Uint8Array(new pkijs.OCSPRequest({ tbsRequest }).toSchema(true).toBER(false));
}

function certIdOf(serial: Uint8Array, hashes: CertIdHashes, hash: CertIdHash): pkijs.CertID {
  return new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: HASH_OID[hash],
      algorithmParams: new asn1js.Null(),
    }),
    issuerNameHash: new asn1js.OctetString({ valueHex: hashes.issuerNameHash }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: hashes.issuerKeyHash }),
    serialNumber: new asn1js.Integer({ valueHex: serial }),
  });
}

/** RFC 8954 2.1: the extension value is the DER of `Nonce ::= OCTET STRING`. */
function nonceExtensionValue(nonce: Uint8Array): ArrayBuffer {
  return new asn1js.OctetString({ valueHex: nonce }).toBER(false);
}

export interface OcspAnswer extends SignerFacts {
  readonly status: "good" | "revoked" | "unknown";
  readonly thisUpdate: Date;
  /** Absent: "newer revocation information is available all the time" (RFC 6960 4.2.2.1). */
  readonly nextUpdate: Date | undefined;
  readonly revokedAt: Date | undefined;
  readonly revocationReason: string | undefined;
}

export interface OcspVerifyOptions {
  readonly subject: RevocationSubject;
  /** The CertID hash algorithm of the request: the answer must use the same. */
  readonly hash: CertIdHash;
  /** The nonce sent, if any: the answer must echo it. */
  readonly nonce: Uint8Array | undefined;
  readonly now: Date;
  readonly clockSkewMs: number;
  /**
   * An answer without nextUpdate must be this recent (RFC 6960 3.2 (5): "sufficiently recent"); otherwise
   * a captured "good" could be replayed for ever, since nonces are off by default.
   */
  readonly maxAgeWithoutNextUpdateMs: number;
}

/**
 * RFC 6960 3.2: checks, in order, responseStatus, the response type, the signature and the signer's
 * authority, the CertID, the time window, the nonce and critical extensions. Only then is the certificate
 * status read.
 */
export async function verifyOcspResponse(
  bytes: Uint8Array,
  options: OcspVerifyOptions,
): Promise<RevocationResult<OcspAnswer>> {
  try {
    return await verifyInOrder(bytes, options);
  } catch (error) {
    // The responder's bytes are hostile input: a structure the decoders choke on is not an answer either.
    return failed("malformed", `unreadable response: ${String(error)}`);
  }
}

async function verifyInOrder(
  bytes: Uint8Array,
  options: OcspVerifyOptions,
): Promise<RevocationResult<OcspAnswer>> {
  const basic = decodeBasicResponse(bytes);
  if (!basic.ok) return basic;
  const signer = await authenticatedSigner(basic.value, options);
  if (!signer.ok) return signer;
  const single = matchingSingleResponse(basic.value, options);
  if (!single.ok) return single;
  const window = checkTimeWindow(single.value, options);
  if (!window.ok) return window;
  const nonce = checkNonce(basic.value, options.nonce);
  if (!nonce.ok) return nonce;
  const extensions = checkCriticalExtensions(basic.value, single.value);
  if (!extensions.ok) return extensions;
  const status = certStatusOf(single.value);
  if (!status.ok) return status;
  return success({
    ...status.value,
    thisUpdate: single.value.thisUpdate,
    nextUpdate: single.value.nextUpdate,
    ...signer.value,
  });
}

function decodeBasicResponse(bytes: Uint8Array): RevocationResult<pkijs.BasicOCSPResponse> {
  let response: pkijs.OCSPResponse;
  try {
    response = pkijs.OCSPResponse.fromBER(bytes);
  } catch (error) {
    return failed("malformed", `not an OCSPResponse: ${String(error)}`);
  }
  const statusCode = response.responseStatus.valueBlock.valueDec;
  if (statusCode !== 0) {
    // tryLater, internalError, unauthorized, ...: the responder said it has no answer (RFC 6960 2.3).
    return failed("responder-status", `responseStatus ${RESPONSE_STATUS_NAMES[statusCode] ?? statusCode}`);
  }
  const responseBytes = response.responseBytes;
  if (responseBytes === undefined) return failed("malformed", "successful response without responseBytes");
  if (responseBytes.responseType !== ID_PKIX_OCSP_BASIC) {
    return failed("unsupported", `response type ${responseBytes.responseType}`);
  }
  try {
    return success(pkijs.BasicOCSPResponse.fromBER(responseBytes.response.valueBlock.valueHexView));
  } catch (error) {
    return failed("malformed", `not a BasicOCSPResponse: ${String(error)}`);
  }
}

/**
 * The one SingleResponse whose CertID is exactly the one asked for: algorithm, both hashes and the serial.
 * RFC 6960 4.2.1 lets a response carry SingleResponses for several certificates, but two for this one
 * (under the CertID asked, or the same issuer and serial under the other hash algorithm) are a responder
 * contradicting itself or a spliced response: refused even when they agree, rather than picking one (the
 * first used to win, so a "good" placed before a "revoked" let a revoked certificate in).
 */
function matchingSingleResponse(
  basic: pkijs.BasicOCSPResponse,
  options: OcspVerifyOptions,
): RevocationResult<pkijs.SingleResponse> {
  const forThisCertificate = basic.tbsResponseData.responses.filter((single) =>
    CERT_ID_HASHES.some((hash) => namesCertificate(single.certID, options.subject, hash)),
  );
  if (forThisCertificate.length > 1) {
    return failed(
      "malformed",
      `${forThisCertificate.length} SingleResponses for the certificate asked about`,
    );
  }
  const [single] = forThisCertificate;
  if (single === undefined || !namesCertificate(single.certID, options.subject, options.hash)) {
    return failed("certid-mismatch", "no SingleResponse for the CertID that was asked");
  }
  return success(single);
}

const CERT_ID_HASHES: readonly CertIdHash[] = ["sha1", "sha256"];

function namesCertificate(id: pkijs.CertID, subject: RevocationSubject, hash: CertIdHash): boolean {
  const expected = subject.certId[hash];
  return (
    id.hashAlgorithm.algorithmId === HASH_OID[hash] &&
    bytesEqual(id.issuerNameHash.valueBlock.valueHexView, expected.issuerNameHash) &&
    bytesEqual(id.issuerKeyHash.valueBlock.valueHexView, expected.issuerKeyHash) &&
    normaliseSerialHex(Buffer.from(id.serialNumber.valueBlock.valueHexView).toString("hex")) ===
      subject.serialHex
  );
}

/** RFC 6960 3.2 (5) and (6): thisUpdate not in the future, nextUpdate not in the past, within the skew. */
function checkTimeWindow(single: pkijs.SingleResponse, options: OcspVerifyOptions): RevocationResult<true> {
  const now = options.now.getTime();
  if (single.thisUpdate.getTime() > now + options.clockSkewMs) {
    return failed("not-yet-valid", `thisUpdate ${single.thisUpdate.toISOString()} is in the future`);
  }
  if (single.nextUpdate !== undefined && single.nextUpdate.getTime() < now - options.clockSkewMs) {
    return failed("expired", `nextUpdate ${single.nextUpdate.toISOString()} has passed`);
  }
  if (
    single.nextUpdate === undefined &&
    single.thisUpdate.getTime() < now - options.maxAgeWithoutNextUpdateMs - options.clockSkewMs
  ) {
    return failed("expired", `no nextUpdate and thisUpdate ${single.thisUpdate.toISOString()} is too old`);
  }
  return success(true);
}

/** The nonce must come back unchanged, or the answer may be a replay (RFC 8954 2.1). */
function checkNonce(basic: pkijs.BasicOCSPResponse, sent: Uint8Array | undefined): RevocationResult<true> {
  if (sent === undefined) return success(true);
  const echoed = basic.tbsResponseData.responseExtensions?.find((ext) => ext.extnID === ID_PKIX_OCSP_NONCE);
  if (echoed === undefined) return failed("nonce-mismatch", "the response carries no nonce");
  if (!bytesEqual(echoed.extnValue.valueBlock.valueHexView, new Uint8Array(nonceExtensionValue(sent)))) {
    return failed("nonce-mismatch", "the response nonce differs from the one sent");
  }
  return success(true);
}

/** A critical extension this client does not understand makes the response unusable (RFC 5280 4.2 logic). */
function checkCriticalExtensions(
  basic: pkijs.BasicOCSPResponse,
  single: pkijs.SingleResponse,
): RevocationResult<true> {
  const extensions = [
    ...(basic.tbsResponseData.responseExtensions ?? []),
    ...(single.singleExtensions ?? []),
  ];
  const unknown = extensions.find((ext) => ext.critical && ext.extnID !== ID_PKIX_OCSP_NONCE);
  return unknown === undefined
    ? success(true)
    : failed("unsupported", `critical extension ${unknown.extnID}`);
}

type StatusFacts = Pick<OcspAnswer, "status" | "revokedAt" | "revocationReason">;

/**
 * CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT
 * NULL }; RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason
 * OPTIONAL }.
 */
function certStatusOf(single: pkijs.SingleResponse): RevocationResult<StatusFacts> {
  const element: unknown = single.certStatus;
  if (!(element instanceof asn1js.BaseBlock) || element.idBlock.tagClass !== 3) {
    return failed("malformed", "certStatus is not a context-specific CHOICE");
  }
  const tag = element.idBlock.tagNumber;
  if (tag === 0) return success({ status: "good", revokedAt: undefined, revocationReason: undefined });
  if (tag === 2) return success({ status: "unknown", revokedAt: undefined, revocationReason: undefined });
  if (tag === 1 && element instanceof asn1js.Constructed) return revokedInfoOf(element);
  return failed("malformed", `certStatus tag [${tag}]`);
}

function revokedInfoOf(element: asn1js.Constructed): RevocationResult<StatusFacts> {
  const [time, reason] = element.valueBlock.value;
  if (!(time instanceof asn1js.GeneralizedTime))
    return failed("malformed", "revocationTime is not a GeneralizedTime");
  let revocationReason: string | undefined;
  if (reason instanceof asn1js.Constructed) {
    const code = reason.valueBlock.value[0];
    if (!(code instanceof asn1js.Enumerated))
      return failed("malformed", "revocationReason is not an ENUMERATED");
    revocationReason = crlReasonName(code.valueBlock.valueDec);
  }
  return success({ status: "revoked", revokedAt: time.toDate(), revocationReason });
}
