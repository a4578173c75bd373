import { describe, expect, it } from "vitest";
import { MAX_PATH_LENGTH, safePath } from "../../src/policy/policy.js";
import { expectError } from "../support/expect_ok.js";

function detailOf(rawPath: string): string | undefined {
  const result = safePath(rawPath);
  expect(result.ok, `${rawPath} should be refused`).toBe(false);
  return result.ok ? undefined : result.error.detail;
}

describe("safePath strips the query", () => {
  it.each([
    ["/v1/accounts?withBalance=true", "/v1/accounts"],
    ["/v1/accounts?", "/v1/accounts"],
    // A '#' after the '?' belongs to the query, which does not choose the route.
    ["/v1/accounts?a=1#frag", "/v1/accounts"],
    // What follows '?' is the query's business, not the path's: it is not checked here.
    ["/v1/accounts?next=/../%zz%00", "/v1/accounts"],
  ])("%s -> %s", (raw, expected) => {
    expect(safePath(raw)).toEqual({ ok: true, value: expected });
  });
});

describe("safePath refuses a raw '#' in the path instead of cutting a fragment", () => {
  it.each([
    "/v1/accounts#top",
    "/v1/accounts#frag?a=1",
    "/v1/funds-confirmations#/../accounts",
    "/v1/payments/sepa-credit-transfers#",
    "/#",
  ])("%s -> PATH_INVALID", (raw) => {
    expect(detailOf(raw)).toContain("'#' (a fragment, which no client sends)");
  });
});

describe("safePath accepts the paths real APIs use, unchanged", () => {
  it.each([
    "/",
    "/v1/accounts",
    "/v1/payments/sepa-credit-transfers/1234-wertiq-983",
    "/open-banking/v3.1/aisp/accounts/22289/transactions",
    "/v1/accounts/DE89370400440532013000~x_y.z",
    "/v1/a:b@c!$&'()*+,=",
    "/v1/names/caf%C3%A9", // é as UTF-8
    "/v1/names/%E2%82%AC", // € (three bytes)
    "/v1/names/%F0%9F%92%B6", // a four-byte code point
    "/v1/ids/abc%3Ddef%2Bghi", // '=' and '+' escaped, as base64 ids often are
    "/v1/ids/a%20b", // an escaped space
    "/v1/.../x", // three dots are a name, not a dot-segment
    "/v1/.hidden/x",
  ])("%s", (path) => {
    expect(safePath(path)).toEqual({ ok: true, value: path });
  });
});

describe("safePath refuses every ambiguous spelling with PATH_INVALID", () => {
  const hostile: readonly string[] = [
    // dot-segments, raw and encoded in every case
    "/v1/accounts/../payments",
    "/v1/accounts/./payments",
    "/v1/accounts/..",
    "/v1/accounts/.",
    "/v1/accounts/%2e%2e/payments",
    "/v1/accounts/%2E%2E/payments",
    "/v1/accounts/%2e%2E/payments",
    "/v1/accounts/.%2e/payments",
    "/v1/accounts/%2e./payments",
    "/v1/accounts/%2e/payments",
    "/v1/accounts/%2E%2E%2Fpayments",
    // encoded separators
    "/v1/accounts%2f..%2fpayments",
    "/v1/accounts%2F..%2Fpayments",
    "/v1/accounts%5c..%5cpayments",
    "/v1/accounts%5C..%5Cpayments",
    "/v1/accounts\\..\\payments",
    "/v1/accounts\\payments",
    // empty segments
    "/v1//accounts",
    "//v1/accounts",
    "/v1/accounts/",
    // NUL and control characters, raw and encoded
    "/v1/accounts/%00",
    "/v1/accounts%00.json",
    "/v1/accounts/\u0000",
    "/v1/acc\tounts",
    "/v1/accounts/%0a",
    "/v1/accounts/%0D%0Aset-cookie:x",
    "/v1/accounts/%7f",
    "/v1/accounts/%C2%85", // C1 control NEL as UTF-8
    // broken percent-encoding
    "/v1/acc%zzounts",
    "/v1/accounts%",
    "/v1/accounts%2",
    "/v1/accounts/%e",
    "/v1/accounts/%g0",
    // overlong, truncated and otherwise invalid UTF-8
    "/v1/%c0%ae%c0%ae/x",
    "/v1/%C0%AE%C0%AE/x",
    "/v1/%c0%af/x",
    "/v1/%e0%80%ae/x",
    "/v1/%f0%80%80%ae/x",
    "/v1/%c1%9c/x",
    "/v1/%e2%82/x",
    "/v1/%e2%82x/x",
    "/v1/%80/x",
    "/v1/%ed%a0%80/x", // UTF-16 surrogate
    "/v1/%f4%90%80%80/x", // beyond U+10FFFF
    "/v1/%ff/x",
    // escapes of unreserved characters: a second spelling of a literal
    "/v1/%61ccounts",
    "/v1/accounts/%7E",
    "/v1/accounts/%5F",
    // double encoding, path parameters, delimiters
    "/v1/accounts/%252e%252e/payments",
    "/v1/payments;jsessionid=1/sepa",
    "/v1/payments%3bx/sepa",
    "/v1/accounts%3F/x",
    "/v1/accounts%23/x",
    // not a path at all
    "",
    "v1/accounts",
    "*",
    "http://bank.example/v1/accounts",
    "?x=/v1/accounts",
    // characters a path may not carry raw
    "/v1/acc ounts",
    "/v1/accounts/é",
    "/v1/accounts/\uFF0E\uFF0E",
    "/v1/<script>",
    "/v1/a|b",
    '/v1/a"b',
  ];

  it("has a table of at least 25 hostile paths", () => {
    expect(hostile.length).toBeGreaterThanOrEqual(25);
  });

  it.each(hostile.map((path) => [JSON.stringify(path), path]))("refuses %s", (_, path) => {
    const result = safePath(path);
    expectError(result);
    expect(result.error.reason).toBe("PATH_INVALID");
  });
});

describe("safePath says which rule a path broke", () => {
  it.each([
    ["/v1/accounts/../payments", "dot-segment '..'"],
    ["/v1/accounts/%2e%2e/payments", "encoded '.'"],
    ["/v1/accounts%2f..%2fpayments", "encoded '/'"],
    ["/v1/accounts\\..\\payments", "backslash"],
    ["/v1//accounts", "empty segment"],
    ["/v1/accounts/", "trailing '/'"],
    ["/v1/accounts/%00", "control character U+0000"],
    ["/v1/acc%zzounts", "malformed percent-escape"],
    ["/v1/%c0%ae%c0%ae/x", "invalid UTF-8 lead byte %C0"],
    ["/v1/%e0%80%ae/x", "overlong UTF-8"],
    ["/v1/%61ccounts", "encoded unreserved character 'a'"],
    ["/v1/x/%252e", "encoded '%'"],
    ["/v1/payments;x/1", "path parameter"],
    ["v1/accounts", "does not start with '/'"],
  ])("%s: %s", (path, expected) => {
    expect(detailOf(path)).toContain(expected);
  });

  it("never echoes a raw control character into the detail", () => {
    expect(detailOf("/v1/a\u001bb")).toContain("U+001B");
    expect(detailOf("/v1/a\u001bb")).not.toContain("\u001b");
  });
});

describe("safePath bounds the path length", () => {
  const atLimit = `/${"a".repeat(MAX_PATH_LENGTH - 1)}`;

  it("accepts a path of exactly the limit", () => {
    expect(safePath(atLimit).ok).toBe(true);
  });

  it("refuses a path one character longer", () => {
    expect(detailOf(`${atLimit}b`)).toContain("longer than");
  });

  it("does not count the query towards the limit", () => {
    expect(safePath(`${atLimit}?q=${"x".repeat(10_000)}`).ok).toBe(true);
  });
});
