import { fail, ok, type Result } from "../foundation/result.js";

/**
 * Route patterns: `/`-separated segments, each an exact literal, `*` (exactly one non-empty segment) or, as
 * the last segment only, `**` (zero or more segments). Patterns are parsed once at load time into segment
 * lists; nothing here runs per request and no regular expression is ever built from a pattern.
 */

export type Segment =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "star" }
  | { readonly kind: "globstar" };

/** The segments of a pattern, or what is wrong with it (for the policy file's error). */
export type ParsedPattern = Result<readonly Segment[], string>;

/** Longer than any real API route; keeps a typo (a pasted URL with a query) from compiling. */
export const MAX_PATTERN_LENGTH = 1024;

const STAR: Segment = Object.freeze({ kind: "star" });
const GLOBSTAR: Segment = Object.freeze({ kind: "globstar" });

/**
 * Literal segments may hold only RFC 3986 unreserved characters (letters, digits, `-._~`). That is what
 * makes matching on the undecoded path safe: `safePath` refuses percent-escapes of exactly these
 * characters, so a path segment that could decode to a literal is never spelled differently from it.
 */
export function isUnreservedCode(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || // -
    code === 0x2e || // .
    code === 0x5f || // _
    code === 0x7e // ~
  );
}

export function parsePattern(pattern: string): ParsedPattern {
  if (pattern.length > MAX_PATTERN_LENGTH) return problem(`longer than ${MAX_PATTERN_LENGTH} characters`);
  if (!pattern.startsWith("/")) return problem("must start with '/'");
  if (pattern === "/") return ok([]);
  if (pattern.endsWith("/")) {
    return problem("must not end with '/' (a trailing slash never matches; use /** for a subtree)");
  }
  const texts = pattern.slice(1).split("/");
  const segments: Segment[] = [];
  for (const [index, text] of texts.entries()) {
    const parsed = parseSegment(text, index === texts.length - 1);
    if (!parsed.ok) return problem(`segment ${index + 1} '${text}': ${parsed.error}`);
    segments.push(parsed.value);
  }
  return ok(Object.freeze(segments));
}

function parseSegment(text: string, isLast: boolean): Result<Segment, string> {
  if (text === "") return fail("empty segment ('//')");
  if (text === "**") return isLast ? ok(GLOBSTAR) : fail("'**' is allowed only as the last segment");
  if (text === "*") return ok(STAR);
  if (text.includes("*")) return fail("'*' must be a whole segment ('a*b' and '***' are not patterns)");
  if (text === "." || text === "..") return fail("dot-segments are not allowed");
  if (text.startsWith("{") || text.startsWith(":")) return fail("write a path parameter as '*'");
  for (let i = 0; i < text.length; i++) {
    if (!isUnreservedCode(text.charCodeAt(i))) {
      return fail(
        "literal segments may contain only letters, digits and '-', '.', '_', '~' (RFC 3986 unreserved)",
      );
    }
  }
  return ok(Object.freeze({ kind: "literal", text }));
}

function problem(text: string): ParsedPattern {
  return fail(text);
}
