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
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

const SHA256_WITH_RSA = der(0x30, oid([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]), der(0x05));
const REASON_CODE_OID = oid([0x55, 0x1d, 0x15]);
const CRL_NUMBER_OID = oid([0x55, 0x1d, 0x14]);
const SUPERSEDED = 4;

export async function bigCrl(spec: BigCrlSpec): Promise<Uint8Array> {
  const caParts = certificateParts(new Uint8Array(spec.ca.cert.rawData));
  if (caParts === undefined) throw new Error("the CA certificate does not split");
  // Self-signed: its issuer Name is its subject Name, the CRL's issuer, byte for byte.
  const issuer = caParts.issuerName;
  const revokedAt = utcTime(new Date(spec.thisUpdate.getTime() - 86_400_000));
  const entries: Buffer[] = [];
  const filler = Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 0]);
  for (let i = 0; i < spec.fillers; i++) {
    filler.writeUInt32BE(i, 4);
    entries.push(entry(filler, revokedAt, SUPERSEDED));
  }
  for (const listed of spec.listed ?? []) entries.push(entry(listed.serial, revokedAt, listed.reason));
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

function entry(serial: Uint8Array, revokedAt: Buffer, reason: number): Buffer {
  const reasonCode = der(0x30, REASON_CODE_OID, der(0x04, der(0x0a, Buffer.from([reason]))));
  return der(0x30, der(0x02, serial), revokedAt, der(0x30, reasonCode));
}

function oid(content: readonly number[]): Buffer {
  return der(0x06, Buffer.from(content));
}

function utcTime(date: Date): Buffer {
  const text = `${date.toISOString().replace(/[-:T]/g, "").slice(2, 14)}Z`;
  return der(0x17, Buffer.from(text, "ascii"));
}

function der(tag: number, ...content: Uint8Array[]): Buffer {
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
