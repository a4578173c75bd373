import { readTlv } from "../trust/certificate_der.js";

/**
 * A CRL split at its revoked list, read as DER without a general ASN.1 parser. asn1js (under
 * @peculiar/x509) stops at 10,000 nodes and 16 MiB: a correctly signed CRL of ~1,250 entries with reason
 * codes was "malformed" (issue 13), while real QTSP CRLs run to megabytes. The list is the only part that
 * grows, so it is cut out and walked by crl_entries.ts; the rest, a few hundred bytes, still goes through
 * the full parser, and the signature is verified over the TBS bytes exactly as received.
 *
 *   CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name,
 *     thisUpdate Time, nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF ... OPTIONAL,
 *     crlExtensions [0] EXPLICIT Extensions OPTIONAL }                                  (RFC 5280 5.1)
 */
export interface CrlParts {
  /** The DER of tbsCertList: what the issuer signed. */
  readonly tbs: Uint8Array;
  /**
   * The CertificateList without revokedCertificates, every other byte unchanged: small for any CRL size.
   * Its signature is not over itself: it is checked against `tbs`.
   */
  readonly head: Uint8Array;
  /** The content octets of revokedCertificates; empty when the CRL lists none. */
  readonly revokedCertificates: Uint8Array;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/** undefined when the bytes are not one definite-length CertificateList this walk can place. */
export function splitCrl(der: Uint8Array): CrlParts | undefined {
  const list = readTlv(der, 0);
  if (list?.tag !== SEQUENCE || list.end !== der.length) return undefined;
  const tbs = readTlv(list.content, 0);
  if (tbs?.tag !== SEQUENCE) return undefined;
  const revoked = revokedListPosition(tbs.content);
  if (revoked === undefined) return undefined;
  const tbsHead = derElement(SEQUENCE, [
    tbs.content.subarray(0, revoked.start),
    tbs.content.subarray(revoked.end),
  ]);
  // signatureAlgorithm and signatureValue follow unchanged; the head's parser checks them.
  const head = derElement(SEQUENCE, [tbsHead, list.content.subarray(tbs.end)]);
  return {
    tbs: tbs.element,
    head,
    revokedCertificates: tbs.content.subarray(revoked.contentStart, revoked.end),
  };
}

interface ListPosition {
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/**
 * Where revokedCertificates sits in the TBS content (an empty range where it is absent). Only the fields
 * before it are stepped over here; the head's full parse judges their content.
 */
function revokedListPosition(tbs: Uint8Array): ListPosition | undefined {
  let field = readTlv(tbs, 0);
  if (field?.tag === INTEGER) field = readTlv(tbs, field.end);
  for (const tag of [SEQUENCE, SEQUENCE]) {
    if (field?.tag !== tag) return undefined;
    field = readTlv(tbs, field.end);
  }
  if (!isTime(field?.tag)) return undefined;
  let offset = field?.end ?? 0;
  const next = readTlv(tbs, offset);
  if (isTime(next?.tag)) offset = next?.end ?? offset;
  const list = offset < tbs.length ? readTlv(tbs, offset) : undefined;
  if (list?.tag !== SEQUENCE) return { start: offset, contentStart: offset, end: offset };
  return { start: offset, contentStart: list.end - list.content.length, end: list.end };
}

function isTime(tag: number | undefined): boolean {
  return tag === UTC_TIME || tag === GENERALIZED_TIME;
}

/** A DER element with a definite length in the shortest form (X.690 10.1). */
function derElement(tag: number, parts: readonly Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([Buffer.from([tag]), derLength(length), ...parts]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}
