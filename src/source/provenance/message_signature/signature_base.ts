import type { CheckInput } from "../../../foundation/check_input.js";
import { ok, type Result } from "../../../foundation/result.js";
import { signatureFailure } from "./signature_denial.js";

const NOT_PRINTABLE_ASCII = /[^\t\x20-\x7e]/;

/**
 * RFC 9421 §2.5: one line per covered component, `"<name>": <value>`, in the signer's order, then
 * `"@signature-params": <params>` with no trailing newline. `componentValue` gives a component's value in
 * the message being verified, or a denial when it has none.
 *
 * The base is US-ASCII (§2.5). A value with any other character is refused, not encoded: a line break
 * would let one component impersonate the next line, and an encoding that folds characters (UTF-16 to
 * bytes) could make two different values sign alike.
 */
export function signatureBase(
  covered: readonly string[],
  signatureParams: string,
  componentValue: (name: string) => Result<string>,
): Result<string> {
  let base = "";
  for (const name of covered) {
    const value = componentValue(name);
    if (!value.ok) return value;
    if (NOT_PRINTABLE_ASCII.test(value.value)) return invalid(`component "${name}" is not printable ASCII`);
    base += `"${name}": ${value.value}\n`;
  }
  return ok(`${base}"@signature-params": ${signatureParams}`);
}

/**
 * A covered component of the request the gateway judges. Derived components (RFC 9421 §2.2) come from
 * the same CheckInput fields the policy uses (method, raw path, authority), so a signature that verifies
 * binds the very request that is authorized; header fields (§2.1) are read from the same map the
 * certificate source reads.
 *
 * The scheme is taken to be https: the signer is the proxy that terminated the TPP's TLS, and neither
 * edge tells the gateway the scheme of the original request.
 */
export function requestComponent(input: CheckInput, name: string): Result<string> {
  switch (name) {
    case "@method":
      return ok(input.method);
    case "@authority":
      return ok(authority(input));
    case "@scheme":
      return ok("https");
    case "@target-uri":
      return ok(`https://${authority(input)}${input.rawPath}`);
    case "@request-target":
      return ok(input.rawPath);
    case "@path":
      return ok(pathOf(input.rawPath));
    case "@query":
      return ok(queryOf(input.rawPath));
    default:
      return name.startsWith("@") ? unsupported(name) : field(input, name);
  }
}

/** §2.2.3: the authority with its host lower-cased. */
function authority(input: CheckInput): string {
  return input.host.toLowerCase();
}

/** §2.2.6: the path as sent, percent-encoding untouched; an empty path is `/`. */
function pathOf(rawPath: string): string {
  const query = rawPath.indexOf("?");
  const path = query < 0 ? rawPath : rawPath.slice(0, query);
  return path === "" ? "/" : path;
}

/** §2.2.7: `?` and the query as sent; a request without a query has `?` alone. */
function queryOf(rawPath: string): string {
  const query = rawPath.indexOf("?");
  return query < 0 ? "?" : rawPath.slice(query);
}

const SURROUNDING_WHITESPACE = /^[ \t]+|[ \t]+$/g;

/**
 * §2.1: the field value with surrounding whitespace removed; repeated lines are joined by the edge
 * (node with ", " as the RFC says; Envoy's header map with ","). An absent field cannot have been signed.
 */
function field(input: CheckInput, name: string): Result<string> {
  const value = input.headers.get(name);
  if (value === undefined) return invalid(`covers ${name}, which the request does not have`);
  return ok(value.replace(SURROUNDING_WHITESPACE, ""));
}

function unsupported(name: string): Result<never> {
  return signatureFailure("FORWARDED_SIGNATURE_MALFORMED", `unsupported component ${name}`);
}

function invalid(detail: string): Result<never> {
  return signatureFailure("FORWARDED_SIGNATURE_INVALID", detail);
}
