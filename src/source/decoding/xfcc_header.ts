import { type Denial, deny } from "../../foundation/reasons.js";
import { fail, ok, type Result } from "../../foundation/result.js";

/**
 * The `x-forwarded-client-cert` syntax as Envoy writes it (ConnectionManagerUtility::mutateXfccRequestHeader):
 * elements joined by `,` (APPEND_FORWARD appends with a bare `,`), `key=value` pairs joined by `;`, no
 * whitespace anywhere. A value is either quoted (`"..."`: Envoy quotes Cert, Chain and Subject) or raw
 * (By, Hash, URI, DNS: written as they are, unescaped, up to the next `;` or `,`).
 *
 * Inside quotes a backslash escapes the next character and an unescaped `"` always ends the value. That is
 * exact for what Envoy quotes: Cert and Chain are percent-encoded, and Subject is BoringSSL's RFC 2253 form
 * (X509_NAME_print_ex with XN_FLAG_RFC2253), which escapes `"`, `\`, `,`, `;`, `+`, `<` and `>` with a
 * backslash (RFC 2253 §2.4). A quote followed by anything but `;`, `,` or the end was not written by Envoy.
 *
 * This file only splits; whether the pieces are in the shape Envoy gives them is xfcc_element.ts.
 */

/** One `key=value` as written: the key as spelled, the value as between the quotes or up to the separator. */
export interface XfccPair {
  readonly key: string;
  /** Raw text, escapes (if quoted) left in place: nothing Envoy writes needs unescaping to be used. */
  readonly value: string;
  readonly quoted: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;

/** Every element, in header order, each its pairs in order; CERT_MALFORMED when the text is not XFCC. */
export function parseXfcc(header: string): Result<XfccPair[][]> {
  const elements: XfccPair[][] = [];
  let element: XfccPair[] = [];
  let at = 0;
  for (;;) {
    const pair = readPair(header, at);
    if (!pair.ok) return pair;
    element.push(pair.value.pair);
    at = pair.value.end;
    if (at === header.length) {
      elements.push(element);
      return ok(elements);
    }
    if (header.charCodeAt(at) === COMMA) {
      elements.push(element);
      element = [];
    }
    at += 1;
  }
}

interface Scanned {
  readonly pair: XfccPair;
  /** Index of the separator after the value, or the header's length. */
  readonly end: number;
}

function readPair(header: string, start: number): Result<Scanned> {
  let at = start;
  while (at < header.length && isKeyChar(header.charCodeAt(at))) at += 1;
  if (at === start) return fail(malformed(`expected a key at ${start}`));
  if (header.charCodeAt(at) !== EQUALS) return fail(malformed(`expected '=' at ${at}`));
  const key = header.slice(start, at);
  if (header.charCodeAt(at + 1) === QUOTE) return quoted(header, key, at + 1);
  const end = nextSeparator(header, at + 1);
  return ok({ pair: { key, value: header.slice(at + 1, end), quoted: false }, end });
}

function quoted(header: string, key: string, open: number): Result<Scanned> {
  let at = open + 1;
  while (at < header.length) {
    const code = header.charCodeAt(at);
    if (code === QUOTE) {
      const end = at + 1;
      if (end < header.length && !isSeparator(header.charCodeAt(end)))
        return fail(malformed(`text after the closing quote at ${at}`));
      return ok({ pair: { key, value: header.slice(open + 1, at), quoted: true }, end });
    }
    at += code === BACKSLASH ? 2 : 1;
  }
  return fail(malformed(`unterminated quoted value starting at ${open}`));
}

function nextSeparator(header: string, from: number): number {
  let at = from;
  while (at < header.length && !isSeparator(header.charCodeAt(at))) at += 1;
  return at;
}

function isSeparator(code: number): boolean {
  return code === SEMICOLON || code === COMMA;
}

/** Letters, digits, `-` and `_`; the element check then accepts only the keys Envoy writes. */
function isKeyChar(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x5f
  );
}

function malformed(detail: string): Denial {
  return deny("CERT_MALFORMED", `x-forwarded-client-cert: ${detail}`);
}
