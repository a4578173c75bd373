import { type Denial, deny } from "../reasons.js";
import { fail, ok, type Result } from "../result.js";

/**
 * The `x-forwarded-client-cert` grammar as Envoy writes it: elements separated by `,` (one per proxy that
 * appended, oldest first), `key=value` pairs separated by `;`. Values are bare or double-quoted; inside
 * quotes `,` and `;` are data, so a Subject such as `"CN=a,O=b;c"` does not split the element.
 *
 * One XFCC element: its keys lower-cased, each with its values in order (DNS may repeat).
 */
export type XfccElement = ReadonlyMap<string, readonly string[]>;

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;

/**
 * Every element, in header order (the last one was added by the proxy nearest to us). Whitespace around
 * elements and pairs is allowed, because proxies (and node) join repeated header lines with ", ".
 */
export function parseXfcc(header: string): Result<XfccElement[]> {
  const elements: XfccElement[] = [];
  let element = new Map<string, string[]>();
  let at = 0;
  for (;;) {
    const pair = readPair(header, skipSpace(header, at));
    if (!pair.ok) return pair;
    const { key, value, end } = pair.value;
    const values = element.get(key);
    if (values === undefined) element.set(key, [value]);
    else values.push(value);
    at = skipSpace(header, end);
    if (at === header.length) {
      elements.push(element);
      return ok(elements);
    }
    const separator = header.charCodeAt(at);
    if (separator === COMMA) {
      elements.push(element);
      element = new Map();
    } else if (separator !== SEMICOLON) {
      return fail(malformed(`expected ';' or ',' at ${at}`));
    }
    at += 1;
  }
}

interface Pair {
  readonly key: string;
  readonly value: string;
  /** Index just after the value. */
  readonly end: number;
}

function readPair(header: string, start: number): Result<Pair> {
  let at = start;
  while (at < header.length && isKeyChar(header.charCodeAt(at))) at += 1;
  if (at === start) return fail(malformed(`expected a key at ${start}`));
  if (header.charCodeAt(at) !== EQUALS) return fail(malformed(`expected '=' at ${at}`));
  const key = header.slice(start, at).toLowerCase();
  const value = header.charCodeAt(at + 1) === QUOTE ? quoted(header, at + 1) : bare(header, at + 1);
  return value.ok ? ok({ key, value: value.value.text, end: value.value.end }) : value;
}

interface Scanned {
  readonly text: string;
  readonly end: number;
}

/** Up to the next `;` or `,`; a quote inside a bare value is malformed. Trailing whitespace is dropped. */
function bare(header: string, start: number): Result<Scanned> {
  let at = start;
  while (at < header.length) {
    const code = header.charCodeAt(at);
    if (code === SEMICOLON || code === COMMA) break;
    if (code === QUOTE) return fail(malformed(`unexpected '"' at ${at}`));
    at += 1;
  }
  return ok({ text: header.slice(start, at).trimEnd(), end: at });
}

/**
 * A double-quoted value: `\x` stands for `x`. A quote ends the value only when what follows is the end,
 * `;` or `,` (after optional whitespace): Envoy does not escape quotes inside a Subject, and reading such
 * a quote as data keeps the rest of the element where it belongs. A Cert or Chain is percent-encoded, so
 * it never contains a quote; a Subject cannot smuggle in a second Cert either, because the caller refuses
 * an element with two.
 */
function quoted(header: string, open: number): Result<Scanned> {
  let text = "";
  let from = open + 1;
  let at = from;
  while (at < header.length) {
    const code = header.charCodeAt(at);
    if (code === BACKSLASH) {
      if (at + 1 === header.length) break;
      text += header.slice(from, at) + header[at + 1];
      at += 2;
      from = at;
    } else if (code === QUOTE && closes(header, at + 1)) {
      return ok({ text: text + header.slice(from, at), end: at + 1 });
    } else {
      at += 1;
    }
  }
  return fail(malformed(`unterminated quoted value starting at ${open}`));
}

function closes(header: string, after: number): boolean {
  const next = skipSpace(header, after);
  if (next === header.length) return true;
  const code = header.charCodeAt(next);
  return code === SEMICOLON || code === COMMA;
}

function skipSpace(header: string, from: number): number {
  let at = from;
  while (at < header.length) {
    const code = header.charCodeAt(at);
    if (code !== SPACE && code !== TAB) break;
    at += 1;
  }
  return at;
}

/** Letters, digits, `-` and `_`: every key Envoy writes (By, Hash, Cert, Chain, Subject, URI, DNS). */
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
