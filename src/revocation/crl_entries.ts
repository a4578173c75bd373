import { fail } from "../foundation/result.js";
import { readTlv, type Tlv } from "../trust/certificate_der.js";
import { failed, failure, type RevocationFailure, type RevocationResult, success } from "./failure.js";

/**
 * A CRL's revokedCertificates, walked as DER once and kept compact (RFC 5280 5.1.2.6, 5.3):
 *
 *   SEQUENCE OF SEQUENCE { userCertificate CertificateSerialNumber, revocationDate Time,
 *                          crlEntryExtensions Extensions OPTIONAL }
 *
 * One Map entry per serial holds a single number (revocation second and reason code), so a 500,000-entry
 * CRL costs tens of megabytes, not an object graph per entry; a lookup builds the entry it returns.
 */

/** RFC 5280 5.3.1 CRLReason, by value; 7 is unused. */
export const CRL_REASON_NAMES: readonly (string | undefined)[] = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  undefined,
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
];

export function crlReasonName(code: number): string {
  return CRL_REASON_NAMES[code] ?? `reason(${code})`;
}

export interface RevokedEntry {
  readonly revokedAt: Date;
  readonly reason: string | undefined;
}

/** Packed value: revocation second × REASON_SLOTS + (reason code + 1), 0 meaning "no reasonCode". */
const REASON_SLOTS = 256;

export class RevokedList {
  readonly #packed: ReadonlyMap<string, number>;

  constructor(packed: ReadonlyMap<string, number>) {
    this.#packed = packed;
  }

  get size(): number {
    return this.#packed.size;
  }

  /** `serialHex` as `normaliseSerialHex` spells it. */
  get(serialHex: string): RevokedEntry | undefined {
    const packed = this.#packed.get(serialHex);
    if (packed === undefined) return undefined;
    const second = Math.floor(packed / REASON_SLOTS);
    const slot = packed - second * REASON_SLOTS;
    return { revokedAt: new Date(second * 1000), reason: slot === 0 ? undefined : crlReasonName(slot - 1) };
  }
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BOOLEAN = 0x01;
const OCTET_STRING = 0x04;
const OID = 0x06;
const ENUMERATED = 0x0a;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/** id-ce 2.5.29.x, whose OID content octets are 55 1D x. */
const ID_CE_REASON_CODE = 21;
/** Entry extensions this module understands (reasonCode, holdInstructionCode, invalidityDate). */
const KNOWN_ENTRY_EXTENSIONS = new Set([ID_CE_REASON_CODE, 23, 24]);

/**
 * One TLV header, read in place: the walk visits about eight per entry, so it allocates nothing per TLV
 * (no subarray, no object); `readTlv` would make two views and an object each time.
 */
interface Header {
  /** Where the content starts. */
  start: number;
  end: number;
}

/** The tag of a definite-length, single-byte-tag TLV at `offset` that ends within `limit`; NO_TLV otherwise. */
function readHeader(bytes: Uint8Array, offset: number, limit: number, into: Header): number {
  if (offset + 2 > limit) return NO_TLV;
  const tag = bytes[offset] ?? 0x1f;
  const first = bytes[offset + 1] ?? 0x80;
  if ((tag & 0x1f) === 0x1f) return NO_TLV;
  let length = first;
  let start = offset + 2;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) return NO_TLV;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[start + i] ?? 0);
    start += count;
  }
  if (start + length > limit) return NO_TLV;
  into.start = start;
  into.end = start + length;
  return tag;
}

const NO_TLV = -1;

export function readRevokedCertificates(list: Uint8Array): RevocationResult<RevokedList> {
  const walk = new EntryWalk(list);
  for (let offset = 0; offset < list.length; ) {
    const failure = walk.entryAt(offset);
    if (failure !== undefined) return fail(failure);
    offset = walk.entryEnd;
  }
  return success(new RevokedList(walk.packed));
}

/** The walk's state: reusable headers and the Map it fills. */
class EntryWalk {
  readonly packed = new Map<string, number>();
  entryEnd = 0;
  readonly #list: Uint8Array;
  readonly #text: Buffer;
  readonly #entry: Header = { start: 0, end: 0 };
  readonly #field: Header = { start: 0, end: 0 };
  readonly #inner: Header = { start: 0, end: 0 };

  constructor(list: Uint8Array) {
    this.#list = list;
    this.#text = Buffer.from(list.buffer, list.byteOffset, list.length);
  }

  /**
   * `normaliseSerialHex` of the INTEGER's content without its regex: Buffer's hex is already lower case,
   * so only leading zeros (a sign octet, as in 00 8F ...) need trimming. A test compares the two.
   */
  #serialHex(integer: Header): string {
    let start = integer.start;
    while (start < integer.end - 1 && this.#list[start] === 0) start++;
    const hex = this.#text.toString("hex", start, integer.end);
    // With the zero octets gone at most one zero nibble leads ("0" alone for serial 0 stays).
    return hex.length > 1 && hex.charCodeAt(0) === 0x30 ? hex.slice(1) : hex;
  }

  /** Reads the entry at `offset` into the Map; a failure when it is not one RFC 5280 would accept. */
  entryAt(offset: number): RevocationFailure | undefined {
    const list = this.#list;
    const entry = this.#entry;
    const field = this.#field;
    if (readHeader(list, offset, list.length, entry) !== SEQUENCE) {
      return failure("malformed", `CRL entry at offset ${offset} is not a SEQUENCE`);
    }
    this.entryEnd = entry.end;
    if (readHeader(list, entry.start, entry.end, field) !== INTEGER || field.end === field.start) {
      return failure("malformed", "CRL entry without a serial number");
    }
    const serialHex = this.#serialHex(field);
    const revokedAt = derTimeSeconds(list, readHeader(list, field.end, entry.end, field), field);
    if (revokedAt === undefined) return failure("malformed", "CRL entry revocationDate");
    let reason: number | undefined;
    if (field.end < entry.end) {
      if (readHeader(list, field.end, entry.end, field) !== SEQUENCE || field.end !== entry.end) {
        return failure("malformed", "CRL entry with trailing data");
      }
      const read = entryReason(list.subarray(field.start, field.end), this.#inner);
      if (!read.ok) return read.error;
      reason = read.value;
    }
    this.packed.set(serialHex, revokedAt * REASON_SLOTS + (reason ?? -1) + 1);
    return undefined;
  }
}

/**
 * The reasonCode, if any, after refusing what would make the entry unusable: a critical extension not
 * understood (e.g. certificateIssuer: the entry would belong to another CA, an indirect CRL) and an
 * extension given twice (RFC 5280 4.2: at most one instance; two reason codes contradict each other).
 */
function entryReason(extensions: Uint8Array, header: Header): RevocationResult<number | undefined> {
  let seen: Uint8Array | Uint8Array[] | undefined;
  let reason: number | undefined;
  for (let offset = 0; offset < extensions.length; ) {
    const fields =
      readHeader(extensions, offset, extensions.length, header) === SEQUENCE
        ? extensionFields(extensions.subarray(header.start, header.end))
        : undefined;
    if (fields === undefined) return failed("malformed", "CRL entry extension");
    offset = header.end;
    // Most entries carry one extension: the list of those seen is made only from the second on.
    if (seen !== undefined) {
      const earlier = Array.isArray(seen) ? seen : [seen];
      if (earlier.some((id) => Buffer.compare(id, fields.id) === 0)) {
        return failed("malformed", `CRL entry extension ${oidString(fields.id)} appears twice`);
      }
      seen = [...earlier, fields.id];
    } else seen = fields.id;
    const idCe = idCeNumber(fields.id);
    if (fields.critical && (idCe === undefined || !KNOWN_ENTRY_EXTENSIONS.has(idCe))) {
      return failed("unsupported", `critical CRL entry extension ${oidString(fields.id)}`);
    }
    if (idCe === ID_CE_REASON_CODE) {
      const code = reasonCodeOf(fields.value);
      if (code === undefined) return failed("malformed", "CRL entry reasonCode");
      reason = code;
    }
  }
  return success(reason);
}

interface ExtensionFields {
  readonly id: Uint8Array;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/** Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function extensionFields(extension: Uint8Array): ExtensionFields | undefined {
  const id = readTlv(extension, 0);
  if (id?.tag !== OID || id.content.length === 0) return undefined;
  let next = readTlv(extension, id.end);
  let critical = false;
  if (next?.tag === BOOLEAN && next.content.length === 1) {
    critical = next.content[0] !== 0;
    next = readTlv(extension, next.end);
  }
  if (next?.tag !== OCTET_STRING || next.end !== extension.length) return undefined;
  return { id: id.content, critical, value: next.content };
}

/** x for id-ce x (2.5.29.x, content octets 55 1D x with x < 128), else undefined. */
function idCeNumber(oid: Uint8Array): number | undefined {
  return oid.length === 3 && oid[0] === 0x55 && oid[1] === 0x1d && (oid[2] ?? 0x80) < 0x80
    ? oid[2]
    : undefined;
}

/** CRLReason ::= ENUMERATED; only the values RFC 5280 5.3.1 can hold fit in one octet. */
function reasonCodeOf(value: Uint8Array): number | undefined {
  const code: Tlv | undefined = readTlv(value, 0);
  if (code?.tag !== ENUMERATED || code.content.length !== 1 || code.end !== value.length) return undefined;
  const byte = code.content[0] ?? 0x80;
  return byte < 0x80 && byte < REASON_SLOTS - 1 ? byte : undefined;
}

/** X.690 8.19: the dotted form, for messages. */
function oidString(content: Uint8Array): string {
  const arcs: number[] = [];
  let arc = 0;
  for (const byte of content) {
    arc = arc * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join(".");
}

/**
 * RFC 5280 4.1.2.5.1-2 / 5.1.2.6: UTCTime YYMMDDHHMMSSZ (YY < 50 is 20YY) or GeneralizedTime
 * YYYYMMDDHHMMSSZ, in seconds since the epoch; anything else (no seconds, an offset, fractions) undefined.
 */
function derTimeSeconds(text: Uint8Array, tag: number, time: Header): number | undefined {
  const length = time.end - time.start;
  const utc = tag === UTC_TIME && length === 13;
  if (!utc && !(tag === GENERALIZED_TIME && length === 15)) return undefined;
  if (text[time.end - 1] !== 0x5a) return undefined;
  const from = time.start;
  const year = utc ? twoDigits(text, from) : twoDigits(text, from) * 100 + twoDigits(text, from + 2);
  const at = from + (utc ? 2 : 4);
  const month = twoDigits(text, at);
  const day = twoDigits(text, at + 2);
  const hour = twoDigits(text, at + 4);
  const minute = twoDigits(text, at + 6);
  const second = twoDigits(text, at + 8);
  // NaN (a non-digit) fails every comparison below.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59))
    return undefined;
  if (!(year >= 0)) return undefined;
  const fullYear = utc ? (year < 50 ? 2000 + year : 1900 + year) : year;
  return Date.UTC(fullYear, month - 1, day, hour, minute, second) / 1000;
}

/** Two ASCII digits as a number; NaN when either is not a digit. */
function twoDigits(text: Uint8Array, at: number): number {
  const tens = (text[at] ?? 0) - 0x30;
  const units = (text[at + 1] ?? 0) - 0x30;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : Number.NaN;
}
