import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/foundation/config_error.js";
import { loadPolicy, parsePolicy } from "../../src/policy/policy.js";

const FILE = "bank-policy.yaml";

function configErrorOf(text: string): ConfigError {
  try {
    parsePolicy(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, but the policy loaded");
}

/** A valid file with one rule; `rule` replaces the rule's body. */
function withRule(rule: string): string {
  return `version: 1\nrules:\n  - ${rule}\n`;
}

const GOOD_RULE = "{ methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }";

describe("a bad policy file is a ConfigError naming the file, the key and the problem", () => {
  it.each([
    [
      "unknown role",
      withRule("{ methods: [GET], path: /v1, roles: [PSP_XX] }"),
      "rules.0.roles.0",
      "unknown role PSP_XX; expected one of PSP_AS, PSP_PI, PSP_AI, PSP_IC",
    ],
    [
      "role in lower case",
      withRule("{ methods: [GET], path: /v1, roles: [psp_ai] }"),
      "rules.0.roles.0",
      "unknown role psp_ai",
    ],
    ["no roles", withRule("{ methods: [GET], path: /v1, roles: [] }"), "rules.0.roles", "at least one role"],
    [
      "duplicate role",
      withRule("{ methods: [GET], path: /v1, roles: [PSP_AI, PSP_AI] }"),
      "rules.0.roles.1",
      "duplicate role PSP_AI",
    ],
    [
      "unknown key in a rule",
      withRule("{ methods: [GET], path: /v1, roles: [PSP_AI], role: [PSP_PI] }"),
      "rules.0.role",
      "unknown key",
    ],
    [
      "misspelt key",
      withRule("{ methods: [GET], path: /v1, role: [PSP_AI] }"),
      "rules.0.role",
      "unknown key",
    ],
    [
      "unknown top-level key",
      `version: 1\ndefault: allow\nrules:\n  - ${GOOD_RULE}\n`,
      "default",
      "unknown key",
    ],
    ["missing roles", withRule("{ methods: [GET], path: /v1 }"), "rules.0.roles", "required key is missing"],
    [
      "missing path",
      withRule("{ methods: [GET], roles: [PSP_AI] }"),
      "rules.0.path",
      "required key is missing",
    ],
    [
      "'**' before the last segment",
      withRule("{ methods: [GET], path: /v1/**/x, roles: [PSP_AI] }"),
      "rules.0.path",
      "'**' is allowed only as the last segment",
    ],
    [
      "'*' inside a segment",
      withRule("{ methods: [GET], path: /v1/a*b, roles: [PSP_AI] }"),
      "rules.0.path",
      "'*' must be a whole segment",
    ],
    [
      "'***'",
      withRule("{ methods: [GET], path: /v1/***, roles: [PSP_AI] }"),
      "rules.0.path",
      "'*' must be a whole segment",
    ],
    [
      "no leading slash",
      withRule("{ methods: [GET], path: v1/accounts, roles: [PSP_AI] }"),
      "rules.0.path",
      "must start with '/'",
    ],
    [
      "trailing slash",
      withRule("{ methods: [GET], path: /v1/accounts/, roles: [PSP_AI] }"),
      "rules.0.path",
      "must not end with '/'",
    ],
    [
      "empty segment",
      withRule("{ methods: [GET], path: /v1//accounts, roles: [PSP_AI] }"),
      "rules.0.path",
      "empty segment",
    ],
    [
      "dot-segment",
      withRule("{ methods: [GET], path: /v1/../accounts, roles: [PSP_AI] }"),
      "rules.0.path",
      "dot-segments",
    ],
    [
      "percent-escape in a literal",
      withRule("{ methods: [GET], path: /v1/%61ccounts, roles: [PSP_AI] }"),
      "rules.0.path",
      "unreserved",
    ],
    [
      "path parameter in braces",
      withRule('{ methods: [GET], path: "/v1/{id}", roles: [PSP_AI] }'),
      "rules.0.path",
      "write a path parameter as '*'",
    ],
    [
      "a query in the pattern",
      withRule("{ methods: [GET], path: /v1/accounts?x=1, roles: [PSP_AI] }"),
      "rules.0.path",
      "unreserved",
    ],
    [
      "method '*'",
      withRule('{ methods: ["*"], path: /v1, roles: [PSP_AI] }'),
      "rules.0.methods.0",
      "'*' is not allowed",
    ],
    [
      "lower-case method",
      withRule("{ methods: [get], path: /v1, roles: [PSP_AI] }"),
      "rules.0.methods.0",
      "unknown method get",
    ],
    [
      "TRACE",
      withRule("{ methods: [TRACE], path: /v1, roles: [PSP_AI] }"),
      "rules.0.methods.0",
      "unknown method TRACE",
    ],
    [
      "no methods",
      withRule("{ methods: [], path: /v1, roles: [PSP_AI] }"),
      "rules.0.methods",
      "at least one method",
    ],
    [
      "duplicate method",
      withRule("{ methods: [GET, GET], path: /v1, roles: [PSP_AI] }"),
      "rules.0.methods.1",
      "duplicate method GET",
    ],
    [
      "bad id",
      withRule("{ id: 'has space', methods: [GET], path: /v1, roles: [PSP_AI] }"),
      "rules.0.id",
      "letters, digits",
    ],
    ["wrong version", `version: 2\nrules:\n  - ${GOOD_RULE}\n`, "version", "must be 1"],
    ["missing version", `rules:\n  - ${GOOD_RULE}\n`, "version", "must be 1"],
    ["no rules", "version: 1\nrules: []\n", "rules", "at least one rule"],
    ["rules missing", "version: 1\n", "rules", "required key is missing"],
    ["not a mapping", "- a\n- b\n", "", "expected a mapping"],
    [
      "public route with roles",
      `version: 1\npublic:\n  - { methods: [GET], path: /health, roles: [PSP_AI] }\nrules:\n  - ${GOOD_RULE}\n`,
      "public.0.roles",
      "unknown key",
    ],
    [
      "public catch-all",
      `version: 1\npublic:\n  - { methods: [GET], path: "/**" }\nrules:\n  - ${GOOD_RULE}\n`,
      "public.0.path",
      "must start with a literal segment",
    ],
    [
      "public leading '*'",
      `version: 1\npublic:\n  - { methods: [GET], path: "/*/health" }\nrules:\n  - ${GOOD_RULE}\n`,
      "public.0.path",
      "must start with a literal segment",
    ],
  ])("%s", (_, text, key, problem) => {
    const error = configErrorOf(text);
    expect(error.file).toBe(FILE);
    expect(error.key).toBe(key);
    expect(error.problem).toContain(problem);
    expect(error.message).toContain(FILE);
    if (key !== "") expect(error.message).toContain(`${key}:`);
  });

  it("gives the line of the offending value", () => {
    const text = [
      "version: 1",
      "rules:",
      "  - methods: [GET]",
      "    path: /v1/accounts/**",
      "    roles: [PSP_AI]",
      "  - methods: [POST]",
      "    path: /v1/payments/**",
      "    roles:",
      "      - PSP_PI",
      "      - PSP_XX",
    ].join("\n");
    const error = configErrorOf(text);
    expect(error.key).toBe("rules.1.roles.1");
    expect(error.line).toBe(10);
    expect(error.message).toMatch(/ \(line 10\)$/);
  });

  it("reports a misspelt key before the missing key it leaves behind", () => {
    const error = configErrorOf(
      "version: 1\nrules:\n  - methods: [GET]\n    path: /v1\n    rols: [PSP_AI]\n",
    );
    expect(error.key).toBe("rules.0.rols");
  });
});

describe("rules that would make the answer depend on file order are refused", () => {
  it("refuses two rules with the same pattern and a common method", () => {
    const error = configErrorOf(
      `version: 1\nrules:\n  - ${GOOD_RULE}\n  - { methods: [POST, GET], path: /v1/accounts/**, roles: [PSP_PI] }\n`,
    );
    expect(error.key).toBe("rules.1.methods.1");
    expect(error.problem).toContain("GET /v1/accounts/** is already covered by rules.0");
  });

  it("refuses a public route and a rule with the same pattern and method", () => {
    const error = configErrorOf(
      `version: 1\npublic:\n  - { methods: [GET], path: /v1/accounts/** }\nrules:\n  - ${GOOD_RULE}\n`,
    );
    expect(error.key).toBe("rules.0.methods.0");
    expect(error.problem).toContain("already covered by public.0");
  });

  it("refuses a duplicate id, across sections too", () => {
    const error = configErrorOf(
      "version: 1\npublic:\n  - { id: x, methods: [GET], path: /health }\n" +
        "rules:\n  - { id: x, methods: [GET], path: /v1, roles: [PSP_AI] }\n",
    );
    expect(error.key).toBe("rules.0.id");
    expect(error.problem).toContain("duplicate id 'x' (also used by public.0)");
  });

  it("refuses an explicit id that collides with a generated one", () => {
    const error = configErrorOf(
      `version: 1\nrules:\n  - ${GOOD_RULE}\n  - { id: rules.0, methods: [GET], path: /v2, roles: [PSP_AI] }\n`,
    );
    expect(error.key).toBe("rules.1.id");
  });
});

describe("files that are not YAML policies", () => {
  it("refuses an empty file", () => {
    const error = configErrorOf("");
    expect(error.file).toBe(FILE);
    expect(error.problem).toContain("empty");
  });

  it("refuses a file of only comments", () => {
    expect(configErrorOf("# nothing here\n").problem).toContain("empty");
  });

  it("refuses a YAML syntax error and gives its line", () => {
    const error = configErrorOf("version: 1\nrules:\n  - methods: [GET\n    path: /v1\n");
    expect(error.key).toBe("");
    expect(error.problem).toMatch(/^YAML syntax error: /);
    // The unclosed '[' of line 3 is noticed where the flow sequence should have ended.
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/ \(line 4, column \d+\)$/);
    expect(error.message).toContain(FILE);
  });

  it("refuses a key given twice (YAML would otherwise keep only the last)", () => {
    const error = configErrorOf(`version: 1\nrules:\n  - ${GOOD_RULE}\nrules:\n  - ${GOOD_RULE}\n`);
    expect(error.line).toBe(4);
  });
});

describe("loadPolicy", () => {
  const dir = mkdtempSync(join(tmpdir(), "policy-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads a policy file from disk", () => {
    const file = join(dir, "ok.yaml");
    writeFileSync(file, withRule(GOOD_RULE));
    expect(loadPolicy(file).match("GET", "/v1/accounts/1")?.ruleId).toBe("rules.0");
  });

  it("names the file it could not read", () => {
    const file = join(dir, "missing.yaml");
    expect(() => loadPolicy(file)).toThrow(new ConfigError(file, "", "cannot read: ENOENT"));
  });

  it("names the file in a schema error", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, withRule("{ methods: [GET], path: /v1, roles: [PSP_XX] }"));
    expect(() => loadPolicy(file)).toThrow(`${file}: rules.0.roles.0: unknown role PSP_XX`);
  });
});
