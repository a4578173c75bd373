/**
 * The few fixed positions of an X.509 certificate's DER that the cold path needs, read directly: a full
 * ASN.1 parse costs about a millisecond per certificate, these reads microseconds. Anything unexpected
 * returns undefined and the caller falls back to (or fails like) a full parser, so a mistake here can only
 * make a check fail, never pass.
 *
 *   Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertificate ::= SEQUENCE { [0] EXPLICIT version OPTIONAL, serialNumber INTEGER,
 *                                 signature AlgorithmIdentifier, issuer Name, ... }
 */
export interface Tlv {
  readonly tag: number;
  /** The whole element: tag, length and content. */
  readonly element: Uint8Array;
  readonly content: Uint8Array;
  readonly end: number;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const VERSION = 0xa0;

export interface CertificateParts {
  /** The DER of tbsCertificate: what the issuer signed. */
  readonly tbs: Uint8Array;
  /** signatureValue without its unused-bits byte. */
  readonly signature: Uint8Array;
  /** The serialNumber INTEGER's content octets. */
  readonly serial: Uint8Array;
  /** The DER of the issuer Name, as RFC 6960 hashes it for the CertID. */
  readonly issuerName: Uint8Array;
}

export function certificateParts(der: Uint8Array): CertificateParts | undefined {
  const certificate = readTlv(der, 0);
  if (certificate?.tag !== SEQUENCE || certificate.end !== der.length) return undefined;
  const tbs = readTlv(certificate.content, 0);
  const algorithm = tbs && readTlv(certificate.content, tbs.end);
  const value = algorithm && readTlv(certificate.content, algorithm.end);
  if (tbs?.tag !== SEQUENCE || algorithm?.tag !== SEQUENCE || value?.tag !== BIT_STRING) return undefined;
  if (value.end !== certificate.content.length || value.content[0] !== 0) return undefined;
  const fields = tbsFields(tbs.content);
  if (fields === undefined) return undefined;
  return { tbs: tbs.element, signature: value.content.subarray(1), ...fields };
}

function tbsFields(tbs: Uint8Array): Pick<CertificateParts, "serial" | "issuerName"> | undefined {
  let first = readTlv(tbs, 0);
  if (first?.tag === VERSION) first = readTlv(tbs, first.end);
  const signature = first?.tag === INTEGER ? readTlv(tbs, first.end) : undefined;
  const issuer = signature?.tag === SEQUENCE ? readTlv(tbs, signature.end) : undefined;
  if (first === undefined || issuer?.tag !== SEQUENCE) return undefined;
  return { serial: first.content, issuerName: issuer.element };
}

/** One definite-length TLV with a single-byte tag; undefined on anything else or on overrun. */
export function readTlv(bytes: Uint8Array, offset: number): Tlv | undefined {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return undefined;
  let length = first;
  let header = 2;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[offset + 2 + i];
      if (byte === undefined) return undefined;
      length = length * 256 + byte;
    }
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) return undefined;
  return {
    tag,
    element: bytes.subarray(offset, end),
    content: bytes.subarray(offset + header, end),
    end,
  };
}
