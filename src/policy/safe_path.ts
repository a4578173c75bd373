import { deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";
import { isUnreservedCode } from "./pattern.js";

/**
 * The request path the policy matches, or PATH_INVALID for any spelling that a proxy or application
 * behind the gateway could read as a different path than the one checked here.
 *
 * The rule (docs/policy.md, "Safe paths"): the path is matched exactly as sent, never decoded, and every
 * spelling whose meaning depends on who decodes it is refused. Policy literals hold only unreserved
 * characters, and a percent-escape of an unreserved character is refused, so a segment that contains an
 * escape can equal no literal, neither before decoding nor after: a decoding and a non-decoding upstream
 * both reach the rule that was checked. The refusals follow RFC 3986 and Spring Security's
 * StrictHttpFirewall, which blocks the same spellings for the same reason.
 */

/** Longer paths are refused rather than matched: no PSD2 API route comes close. */
export const MAX_PATH_LENGTH = 4096;

const SLASH = 0x2f;
const PERCENT = 0x25;
const DOT = 0x2e;

/** Characters a path may carry unencoded: RFC 3986 pchar minus ';' (see RAW_DENIED). */
const RAW_ALLOWED = asciiTable("!$&'()*+,=:@-._~");

/** Characters allowed by RFC 3986 whose raw use still changes the path for some upstream. */
const RAW_DENIED: ReadonlyMap<number, string> = new Map([
  // Tomcat, Jetty and Spring strip ';params' from a segment: '/v1/payments;x/1' reaches '/v1/payments/1'.
  [0x3b, "';' (path parameter)"],
  // Not allowed by RFC 3986, but Windows-based stacks and some proxies read it as '/'.
  [0x5c, "'\\' (backslash)"],
  // RFC 9110 section 7.1: a request-target carries no fragment, so no client sends one. Cutting it here
  // would judge '/v1/funds-confirmations#/../accounts' as one route while an upstream may see another.
  [0x23, "'#' (a fragment, which no client sends)"],
]);

/** ASCII characters whose percent-escape is refused although they are not unreserved. */
const ESCAPE_DENIED: ReadonlyMap<number, string> = new Map([
  [0x2f, "encoded '/' (%2F) would split a segment after decoding"],
  [0x5c, "encoded '\\' (%5C) would split a segment after decoding"],
  [0x25, "encoded '%' (%25) becomes a new escape if decoded twice"],
  [0x3b, "encoded ';' (%3B) is stripped as a path parameter by some servers"],
  [0x3f, "encoded '?' (%3F) becomes a query delimiter if a proxy decodes and re-sends the path"],
  [0x23, "encoded '#' (%23) becomes a fragment delimiter if a proxy decodes and re-sends the path"],
]);

export function safePath(rawPath: string): Result<string> {
  const path = withoutQuery(rawPath);
  if (path.length > MAX_PATH_LENGTH) return invalid(`longer than ${MAX_PATH_LENGTH} characters`);
  if (path.charCodeAt(0) !== SLASH) return invalid("does not start with '/'");
  if (path.length === 1) return ok(path);
  let segmentStart = 1;
  let i = 1;
  while (i <= path.length) {
    const code = i < path.length ? path.charCodeAt(i) : SLASH;
    if (code === SLASH) {
      const problem = segmentProblem(path, segmentStart, i);
      if (problem !== undefined) return invalid(problem);
      segmentStart = i + 1;
      i += 1;
    } else if (code === PERCENT) {
      const next = afterEscapes(path, i);
      if (!next.ok) return invalid(next.error);
      i = next.value;
    } else {
      const problem = rawCharacterProblem(code, i);
      if (problem !== undefined) return invalid(problem);
      i += 1;
    }
  }
  return ok(path);
}

/**
 * Envoy's `http.path` carries the query: it is cut, and what follows '?' is the query's business. A '#'
 * before it stays in the path and is refused there (RAW_DENIED).
 */
function withoutQuery(rawPath: string): string {
  const query = rawPath.indexOf("?");
  return query === -1 ? rawPath : rawPath.slice(0, query);
}

/** Empty and dot segments are refused, not normalised: a normaliser upstream might resolve them differently. */
function segmentProblem(path: string, start: number, end: number): string | undefined {
  const length = end - start;
  if (length === 0) {
    return end === path.length ? "trailing '/'" : `empty segment ('//') at offset ${start}`;
  }
  const isDotSegment =
    path.charCodeAt(start) === DOT && (length === 1 || (length === 2 && path.charCodeAt(start + 1) === DOT));
  return isDotSegment ? `dot-segment '${path.slice(start, end)}' at offset ${start}` : undefined;
}

function rawCharacterProblem(code: number, offset: number): string | undefined {
  if (code < 0x80 && RAW_ALLOWED[code] === 1) return undefined;
  const named = RAW_DENIED.get(code);
  if (named !== undefined) return `${named} at offset ${offset}`;
  if (code < 0x20 || code === 0x7f) return `control character ${codePoint(code)} at offset ${offset}`;
  return `character ${codePoint(code)} is not allowed unencoded in a path (offset ${offset})`;
}

/**
 * Validates the escape at `start` and, for a UTF-8 lead byte, the continuation escapes that must follow.
 * Returns the offset after them, or the problem.
 */
function afterEscapes(path: string, start: number): Result<number, string> {
  const byte = hexByte(path, start);
  if (byte === undefined) return fail(`malformed percent-escape at offset ${start}`);
  if (byte < 0x80) {
    const problem = asciiEscapeProblem(byte, start);
    return problem === undefined ? ok(start + 3) : fail(problem);
  }
  return afterUtf8Sequence(path, start, byte);
}

function asciiEscapeProblem(byte: number, offset: number): string | undefined {
  if (byte < 0x20 || byte === 0x7f) return `encoded control character ${codePoint(byte)} at offset ${offset}`;
  if (byte === DOT) return `encoded '.' (%2E), a dot-segment spelling, at offset ${offset}`;
  if (isUnreservedCode(byte)) {
    // RFC 3986 section 2.3: producers never encode unreserved characters; only an evasion does.
    return `encoded unreserved character '${String.fromCharCode(byte)}' at offset ${offset}`;
  }
  const named = ESCAPE_DENIED.get(byte);
  return named === undefined ? undefined : `${named} (offset ${offset})`;
}

/**
 * Strict UTF-8 (RFC 3629): overlong forms such as %C0%AE (a '.' in disguise), surrogates, code points past
 * U+10FFFF and stray continuation bytes are refused, and so are C1 control characters.
 */
function afterUtf8Sequence(path: string, start: number, lead: number): Result<number, string> {
  const shape = utf8Shape(lead);
  if (shape === undefined) return fail(`invalid UTF-8 lead byte %${hex(lead)} at offset ${start}`);
  let codePointValue = lead & shape.leadMask;
  let at = start + 3;
  for (let k = 0; k < shape.continuations; k++) {
    const byte = path.charCodeAt(at) === PERCENT ? hexByte(path, at) : undefined;
    if (byte === undefined || byte < 0x80 || byte > 0xbf) {
      return fail(`truncated UTF-8 sequence at offset ${start}`);
    }
    codePointValue = (codePointValue << 6) | (byte & 0x3f);
    at += 3;
  }
  if (codePointValue < shape.minimum) return fail(`overlong UTF-8 sequence at offset ${start}`);
  if (codePointValue >= 0xd800 && codePointValue <= 0xdfff) return fail(`UTF-8 surrogate at offset ${start}`);
  if (codePointValue > 0x10ffff) return fail(`UTF-8 beyond U+10FFFF at offset ${start}`);
  if (codePointValue <= 0x9f)
    return fail(`encoded control character ${codePoint(codePointValue)} at offset ${start}`);
  return ok(at);
}

interface Utf8Shape {
  readonly continuations: number;
  readonly leadMask: number;
  readonly minimum: number;
}

/** C0, C1 and F5..FF can never start a well-formed sequence (C0/C1 only start overlong ones). */
function utf8Shape(lead: number): Utf8Shape | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return { continuations: 1, leadMask: 0x1f, minimum: 0x80 };
  if (lead >= 0xe0 && lead <= 0xef) return { continuations: 2, leadMask: 0x0f, minimum: 0x800 };
  if (lead >= 0xf0 && lead <= 0xf4) return { continuations: 3, leadMask: 0x07, minimum: 0x10000 };
  return undefined;
}

/** The byte of `%XY` at `start` (either hex case), or undefined if it is not a complete escape. */
function hexByte(path: string, start: number): number | undefined {
  if (start + 2 >= path.length) return undefined;
  const high = hexValue(path.charCodeAt(start + 1));
  const low = hexValue(path.charCodeAt(start + 2));
  return high === undefined || low === undefined ? undefined : high * 16 + low;
}

function hexValue(code: number): number | undefined {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return undefined;
}

function asciiTable(extra: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let code = 0; code < 128; code++) if (isUnreservedCode(code)) table[code] = 1;
  for (const char of extra) table[char.charCodeAt(0)] = 1;
  return table;
}

/** Printed as U+XXXX so a hostile byte never reaches a log line raw. */
function codePoint(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, "0");
}

function invalid(detail: string): Result<never> {
  return fail(deny("PATH_INVALID", detail));
}
