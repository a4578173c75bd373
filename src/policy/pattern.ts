/**
 * Route patterns: `/`-separated segments, each an exact literal, `*` (exactly one non-empty segment) or, as
 * the last segment only, `**` (zero or more segments). Patterns are parsed once at load time into segment
 * lists; nothing here runs per request and no regular expression is ever built from a pattern.
 */

export type Segment =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "star" }
  | { readonly kind: "globstar" };

export type ParsedPattern =
  | { readonly ok: true; readonly segments: readonly Segment[] }
  | { readonly ok: false; readonly problem: string };

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
  if (pattern === "/") return { ok: true, segments: [] };
  if (pattern.endsWith("/")) {
    return problem("must not end with '/' (a trailing slash never matches; use /** for a subtree)");
  }
  const texts = pattern.slice(1).split("/");
  const segments: Segment[] = [];
  for (const [index, text] of texts.entries()) {
    const parsed = parseSegment(text, index === texts.length - 1);
    if (typeof parsed === "string") return problem(`segment ${index + 1} '${text}': ${parsed}`);
    segments.push(parsed);
  }
  return { ok: true, segments: Object.freeze(segments) };
}

/** The segment, or what is wrong with it. */
function parseSegment(text: string, isLast: boolean): Segment | string {
  if (text === "") return "empty segment ('//')";
  if (text === "**") return isLast ? GLOBSTAR : "'**' is allowed only as the last segment";
  if (text === "*") return STAR;
  if (text.includes("*")) return "'*' must be a whole segment ('a*b' and '***' are not patterns)";
  if (text === "." || text === "..") return "dot-segments are not allowed";
  if (text.startsWith("{") || text.startsWith(":")) return "write a path parameter as '*'";
  for (let i = 0; i < text.length; i++) {
    if (!isUnreservedCode(text.charCodeAt(i))) {
      return "literal segments may contain only letters, digits and '-', '.', '_', '~' (RFC 3986 unreserved)";
    }
  }
  return Object.freeze({ kind: "literal", text });
}

function problem(text: string): ParsedPattern {
  return { ok: false, problem: text };
}
