import { describe, expect, it } from "vitest";
import { type Policy, parsePolicy, type RouteRequirement, safePath } from "../../src/policy/policy.js";

/** A policy from inline YAML rules: [methods, path, roles or "public"]. */
function policyOf(...routes: readonly [string, string, string][]): Policy {
  const publicRoutes = routes.filter(([, , roles]) => roles === "public");
  const rules = routes.filter(([, , roles]) => roles !== "public");
  const line = ([methods, path, roles]: [string, string, string]) =>
    `  - { methods: [${methods}], path: "${path}"${roles === "public" ? "" : `, roles: [${roles}]`} }`;
  const text = [
    "version: 1",
    "public:",
    ...(publicRoutes.length === 0 ? ["  []"] : publicRoutes.map(line)),
    "rules:",
    ...rules.map(line),
  ].join("\n");
  return parsePolicy(text, "inline.yaml");
}

/** What the service does with a request line: safe path first, then the policy. */
function decide(
  policy: Policy,
  method: string,
  rawPath: string,
): RouteRequirement | "PATH_INVALID" | undefined {
  const path = safePath(rawPath);
  return path.ok ? policy.match(method, path.value) : "PATH_INVALID";
}

function ruleIdOf(policy: Policy, method: string, rawPath: string): string | undefined {
  const found = decide(policy, method, rawPath);
  return typeof found === "object" ? found.ruleId : found;
}

describe("a route's requirement", () => {
  const policy = policyOf(["GET", "/health", "public"], ["GET", "/v1/accounts/**", "PSP_AI, PSP_PI"]);

  it("is public for a public route", () => {
    expect(policy.match("GET", "/health")).toEqual({ kind: "public", ruleId: "public.0" });
  });

  it("lists the roles of which any one is enough", () => {
    expect(policy.match("GET", "/v1/accounts")).toEqual({
      kind: "roles",
      mode: "enforce",
      ruleId: "rules.0",
      anyOf: ["PSP_AI", "PSP_PI"],
    });
  });

  it("carries the id from the file when there is one", () => {
    const named = parsePolicy(
      "version: 1\nrules:\n  - { id: ais, methods: [GET], path: /v1/accounts, roles: [PSP_AI] }\n",
      "named.yaml",
    );
    expect(named.match("GET", "/v1/accounts")?.ruleId).toBe("ais");
  });

  it("is undefined for a path no rule covers", () => {
    expect(policy.match("GET", "/v1/payments")).toBeUndefined();
    expect(policy.match("GET", "/")).toBeUndefined();
    expect(policy.match("GET", "/healthz")).toBeUndefined();
  });
});

describe("methods", () => {
  const policy = policyOf(["GET, POST", "/v1/consents/**", "PSP_AI"]);

  it("must be listed by the rule", () => {
    expect(policy.match("DELETE", "/v1/consents/1")).toBeUndefined();
    expect(policy.match("POST", "/v1/consents")).toBeDefined();
  });

  it("are compared exactly: a lower-case method matches nothing", () => {
    expect(policy.match("get", "/v1/consents/1")).toBeUndefined();
    expect(policy.match("Get", "/v1/consents/1")).toBeUndefined();
  });

  it("do not imply one another: HEAD is not GET", () => {
    expect(policy.match("HEAD", "/v1/consents/1")).toBeUndefined();
  });
});

describe("pattern semantics", () => {
  const policy = policyOf(
    ["GET", "/exact/path", "PSP_AI"],
    ["GET", "/one/*", "PSP_AI"],
    ["GET", "/one-then-more/*/**", "PSP_AI"],
    ["GET", "/tree/**", "PSP_AI"],
    ["GET", "/", "PSP_AS"],
  );

  it.each([
    ["/exact/path", "rules.0"],
    ["/exact/path/more", undefined],
    ["/exact", undefined],
    ["/one/x", "rules.1"],
    ["/one", undefined],
    ["/one/x/y", undefined],
    ["/one-then-more/x", "rules.2"],
    ["/one-then-more/x/y/z", "rules.2"],
    ["/one-then-more", undefined],
    ["/tree", "rules.3"],
    ["/tree/a", "rules.3"],
    ["/tree/a/b/c/d", "rules.3"],
    ["/treehouse", undefined],
    ["/", "rules.4"],
  ])("%s -> %s", (path, expected) => {
    expect(ruleIdOf(policy, "GET", path)).toBe(expected);
  });

  it("matches a literal case-sensitively", () => {
    expect(ruleIdOf(policy, "GET", "/Exact/path")).toBeUndefined();
    expect(ruleIdOf(policy, "GET", "/exact/PATH")).toBeUndefined();
  });

  it("refuses a trailing slash instead of matching it to the path without one", () => {
    expect(decide(policy, "GET", "/exact/path/")).toBe("PATH_INVALID");
    expect(decide(policy, "GET", "/tree/")).toBe("PATH_INVALID");
  });

  it("matches the path without its query string", () => {
    expect(ruleIdOf(policy, "GET", "/exact/path?withBalance=true")).toBe("rules.0");
    expect(ruleIdOf(policy, "GET", "/one/x?y=/z")).toBe("rules.1");
  });
});

describe("precedence: the most specific pattern wins, whatever the file order", () => {
  const broadFirst: [string, string, string][] = [
    ["GET", "/v1/**", "PSP_AS"],
    ["GET", "/v1/*/status", "PSP_AI"],
    ["GET", "/v1/payments/**", "PSP_PI"],
    ["GET", "/v1/payments/*/status", "PSP_IC"],
  ];
  const orders = [broadFirst, [...broadFirst].reverse()];

  it.each(orders.map((order, index) => [index === 0 ? "broad first" : "narrow first", order] as const))(
    "%s",
    (_, order) => {
      const policy = policyOf(...order);
      const roleFor = (path: string) => {
        const found = policy.match("GET", path);
        return found?.kind === "roles" ? found.anyOf : found;
      };
      expect(roleFor("/v1/payments/1/status")).toEqual(["PSP_IC"]); // literal, *, literal
      expect(roleFor("/v1/payments/1")).toEqual(["PSP_PI"]); // literal beats *
      expect(roleFor("/v1/accounts/status")).toEqual(["PSP_AI"]); // * beats **
      expect(roleFor("/v1/accounts/1")).toEqual(["PSP_AS"]);
      expect(roleFor("/v1")).toEqual(["PSP_AS"]);
    },
  );

  it("prefers a pattern that ends over '**' matching nothing", () => {
    const policy = policyOf(["GET", "/v1/accounts/**", "PSP_AI"], ["GET", "/v1/accounts", "PSP_PI"]);
    expect(ruleIdOf(policy, "GET", "/v1/accounts")).toBe("rules.1");
    expect(ruleIdOf(policy, "GET", "/v1/accounts/1")).toBe("rules.0");
  });

  it("treats public routes like any other rule: the more specific one wins", () => {
    const policy = policyOf(["GET", "/v1/status", "public"], ["GET", "/v1/**", "PSP_AI"]);
    expect(policy.match("GET", "/v1/status")?.kind).toBe("public");
    expect(policy.match("GET", "/v1/status/x")?.kind).toBe("roles");
  });

  it("lets the most specific pattern own the path: a method it lacks is denied, not passed to a broader rule", () => {
    const policy = policyOf(["GET", "/v1/payments/**", "PSP_PI"], ["GET, DELETE", "/v1/**", "PSP_AS"]);
    expect(policy.match("DELETE", "/v1/payments/1")).toBeUndefined();
    expect(policy.match("DELETE", "/v1/accounts/1")?.ruleId).toBe("rules.1");
  });

  it("splits one pattern's methods between rules", () => {
    const policy = policyOf(["GET", "/v1/baskets/**", "PSP_AI"], ["POST", "/v1/baskets/**", "PSP_PI"]);
    expect(policy.match("GET", "/v1/baskets/1")?.ruleId).toBe("rules.0");
    expect(policy.match("POST", "/v1/baskets/1")?.ruleId).toBe("rules.1");
    expect(policy.match("PUT", "/v1/baskets/1")).toBeUndefined();
  });

  it("falls back to a wildcard when a literal branch matches the prefix but not the rest", () => {
    const policy = policyOf(["GET", "/v1/payments/*", "PSP_PI"], ["GET", "/v1/*/x/y", "PSP_AI"]);
    expect(ruleIdOf(policy, "GET", "/v1/payments/x/y")).toBe("rules.1");
  });
});

describe("a segment that equals a literal only when case is ignored", () => {
  // A case-insensitive upstream (ASP.NET Core routing by default) would serve '/v1/Payments/1' as
  // '/v1/payments/1'; the '*' sibling must not hand it to another role.
  const policy = policyOf(["GET", "/v1/payments/**", "PSP_PI"], ["GET", "/v1/*/**", "PSP_AI"]);

  it("matches no rule, not even a wildcard sibling", () => {
    expect(policy.match("GET", "/v1/Payments/1")).toBeUndefined();
    expect(policy.match("GET", "/v1/PAYMENTS")).toBeUndefined();
  });

  it("leaves other segments to the wildcard", () => {
    expect(policy.match("GET", "/v1/accounts/1")?.ruleId).toBe("rules.1");
  });

  it("applies at '**' too", () => {
    const rest = policyOf(["GET", "/v1/payments/**", "PSP_PI"], ["GET", "/v1/**", "PSP_AI"]);
    expect(rest.match("GET", "/v1/pAyments/1")).toBeUndefined();
  });
});

describe("match refuses shapes that only safePath should let through", () => {
  const policy = policyOf(["GET", "/v1/**", "PSP_AI"]);

  it.each(["/v1//x", "/v1/x/", "/v1/x?y", "/v1/x#y", "v1/x", ""])("%s", (path) => {
    expect(policy.match("GET", path)).toBeUndefined();
  });
});

describe("encoded spellings cannot reach a rule they should not", () => {
  const policy = policyOf(["GET", "/v1/funds-confirmations", "PSP_IC"], ["GET", "/v1/*", "PSP_AI"]);

  it("refuses an escaped unreserved character rather than letting '*' take it", () => {
    expect(decide(policy, "GET", "/v1/%66unds-confirmations")).toBe("PATH_INVALID");
  });

  it("gives a segment with another escape to the wildcard, as either kind of upstream would", () => {
    expect(ruleIdOf(policy, "GET", "/v1/funds%20confirmations")).toBe("rules.1");
  });
});
