import { type Denial, deny } from "../../foundation/reasons.js";
import { fail, ok, type Result } from "../../foundation/result.js";

/**
 * A PEM certificate block. Strict on purpose: the base64 alphabet only (whitespace between lines
 * allowed), a DER SEQUENCE inside. Anything else is CERT_MALFORMED, never a parser exception later.
 */
const BEGIN = "-----BEGIN CERTIFICATE-----";
const END = "-----END CERTIFICATE-----";
const BASE64_BODY = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** Every CERTIFICATE block in `pem`, in order; at least one. */
export function pemCertificates(pem: string, maxBlocks: number): Result<Buffer[]> {
  const blocks: Buffer[] = [];
  let from = 0;
  for (;;) {
    const begin = pem.indexOf(BEGIN, from);
    if (begin < 0) break;
    if (blocks.length === maxBlocks) return fail(malformed(`more than ${maxBlocks} certificates`));
    const end = pem.indexOf(END, begin + BEGIN.length);
    if (end < 0) return fail(malformed("PEM block without END line"));
    const der = derFromBase64(pem.slice(begin + BEGIN.length, end));
    if (!der.ok) return der;
    blocks.push(der.value);
    from = end + END.length;
  }
  if (blocks.length === 0) return fail(malformed("no PEM certificate block"));
  return ok(blocks);
}

export function derFromBase64(body: string): Result<Buffer> {
  if (!BASE64_BODY.test(body)) return fail(malformed("invalid base64 in certificate"));
  const der = Buffer.from(body, "base64");
  return isDerSequence(der) ? ok(der) : fail(malformed("certificate is not a DER SEQUENCE"));
}

/** The outer TLV must be a SEQUENCE whose length covers the buffer exactly (catches truncation early). */
export function isDerSequence(der: Buffer): boolean {
  if (der.length < 2 || der[0] !== 0x30) return false;
  const first = der[1] ?? 0;
  if (first < 0x80) return first + 2 === der.length;
  const lengthBytes = first & 0x7f;
  if (lengthBytes === 0 || lengthBytes > 4 || der.length < 2 + lengthBytes) return false;
  let length = 0;
  for (let i = 0; i < lengthBytes; i++) length = length * 256 + (der[2 + i] ?? 0);
  return length + 2 + lengthBytes === der.length;
}

function malformed(detail: string): Denial {
  return deny("CERT_MALFORMED", detail);
}

/** Percent-encoded PEM (Envoy's XFCC `Cert`/`Chain`, nginx's `$ssl_client_escaped_cert`) to DER blocks. */
export function pemFromPercentEncoded(encoded: string, maxBlocks: number): Result<Buffer[]> {
  const pem = percentDecoded(encoded);
  if (pem === undefined) return fail(malformed("invalid percent-encoding in certificate"));
  return pemCertificates(pem, maxBlocks);
}

/** Strict percent-decoding: a stray `%`, a bad hex pair or invalid UTF-8 gives undefined. */
export function percentDecoded(value: string): string | undefined {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
