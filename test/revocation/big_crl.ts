import { createPrivateKey, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { certificateParts } from "../../src/trust/certificate_der.js";
import type { IssuedCert } from "../support/openssl_ca.js";

/**
 * A CRL of any size, written as DER here and signed by node:crypto with the CA's real key
 * (sha256WithRSAEncryption): `openssl ca -gencrl` needs minutes for 500,000 entries, this a second. Every
 * entry carries a reasonCode, as QTSP CRLs do, which is what made asn1js give up at ~1,250 entries.
 */

export interface ListedSerial {
  /** Content octets of the serial INTEGER, as `RevocationSubject.serial` holds them. */
  readonly serial: Uint8Array;
  /** RFC 5280 5.3.1 CRLReason code. */
  readonly reason: number;
}

export interface BigCrlSpec {
  readonly ca: IssuedCert;
  /** Filler entries, serials 0x01 00 00 00 00 00 00 00 + i, reason superseded. */
  readonly fillers: number;
  /** Listed after the fillers, so a lookup has to find the last entries too. */
  readonly listed?: readonly ListedSerial[];
  /** Hand-made revokedCertificates entries (DER), appended as they are and signed with the rest. */
  readonly rawEntries?: readonly Uint8Array[];
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

const SHA256_WITH_RSA = der(0x30, oid([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]), der(0x05));
const REASON_CODE_OID_CONTENT = [0x55, 0x1d, 0x15];
const CRL_NUMBER_OID = oid([0x55, 0x1d, 0x14]);
const SUPERSEDED = 4;

export async function bigCrl(spec: BigCrlSpec): Promise<Uint8Array> {
  const caParts = certificateParts(new Uint8Array(spec.ca.cert.rawData));
  if (caParts === undefined) throw new Error("the CA certificate does not split");
  // Self-signed: its issuer Name is its subject Name, the CRL's issuer, byte for byte.
  const issuer = caParts.issuerName;
  const revokedAt = utcTime(new Date(spec.thisUpdate.getTime() - 86_400_000));
  const entries: Buffer[] = [fillerEntries(spec.fillers, revokedAt)];
  for (const listed of spec.listed ?? []) entries.push(entry(listed.serial, revokedAt, listed.reason));
  for (const raw of spec.rawEntries ?? []) entries.push(Buffer.from(raw));
  const crlNumber = der(0x30, CRL_NUMBER_OID, der(0x04, der(0x02, Buffer.from([0x01]))));
  const tbs = der(
    0x30,
    der(0x02, Buffer.from([0x01])),
    SHA256_WITH_RSA,
    issuer,
    utcTime(spec.thisUpdate),
    utcTime(spec.nextUpdate),
    derOf(0x30, entries),
    der(0xa0, der(0x30, crlNumber)),
  );
  const key = createPrivateKey(await readFile(spec.ca.keyPath));
  const signature = sign("sha256", tbs, key);
  return new Uint8Array(der(0x30, tbs, SHA256_WITH_RSA, der(0x03, Buffer.from([0]), signature)));
}

/** A revokedCertificates entry: serial, revocationDate, and these entry extensions (DER) if any. */
export function rawEntry(
  serial: Uint8Array,
  revocationDate: Uint8Array,
  extensions: readonly Uint8Array[],
): Buffer {
  const list = extensions.length === 0 ? [] : [derOf(0x30, extensions)];
  return der(0x30, der(0x02, serial), revocationDate, ...list);
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
export function rawExtension(oidContent: readonly number[], critical: boolean, value: Uint8Array): Buffer {
  const flag = critical ? [der(0x01, Buffer.from([0xff]))] : [];
  return der(0x30, oid(oidContent), ...flag, der(0x04, value));
}

export function reasonCodeValue(reason: number): Buffer {
  return der(0x0a, Buffer.from([reason]));
}

/** One template entry copied `count` times, each with its own serial: a second for 500,000. */
function fillerEntries(count: number, revokedAt: Buffer): Buffer {
  const template = entry(Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 0]), revokedAt, SUPERSEDED);
  // entry SEQUENCE header (2) + INTEGER header (2) + 0x01 0 0 0: the last four serial octets.
  const serialAt = 2 + 2 + 4;
  const all = Buffer.alloc(template.length * count);
  for (let i = 0; i < count; i++) {
    template.copy(all, i * template.length);
    all.writeUInt32BE(i, i * template.length + serialAt);
  }
  return all;
}

function entry(serial: Uint8Array, revokedAt: Buffer, reason: number): Buffer {
  return rawEntry(serial, revokedAt, [rawExtension(REASON_CODE_OID_CONTENT, false, reasonCodeValue(reason))]);
}

function oid(content: readonly number[]): Buffer {
  return der(0x06, Buffer.from(content));
}

export function utcTime(date: Date): Buffer {
  const text = `${date.toISOString().replace(/[-:T]/g, "").slice(2, 14)}Z`;
  return der(0x17, Buffer.from(text, "ascii"));
}

export function der(tag: number, ...content: Uint8Array[]): Buffer {
  return derOf(tag, content);
}

/** An array, not a spread: 500,000 arguments overflow the stack. */
function derOf(tag: number, content: readonly Uint8Array[]): Buffer {
  const length = content.reduce((sum, part) => sum + part.length, 0);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  const header = length < 0x80 ? [tag, length] : [tag, 0x80 | octets.length, ...octets];
  return Buffer.concat([Buffer.from(header), ...content]);
}
