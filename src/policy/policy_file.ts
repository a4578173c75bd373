import { z } from "zod";
import { type ConfigFileFormat, parseConfigFile, readConfigFile } from "../foundation/config_file.js";
import { PSD2_ROLES, type Psd2Role } from "../qwac/qwac.js";
import { parsePattern, type Segment } from "./pattern.js";

/**
 * The policy file: YAML text in, validated entries out, or a ConfigError naming the file, the dotted key
 * and the problem (with its line), as src/foundation/config_file.ts reads every file. Every object is strict, because a misspelt key (`role:` for `roles:`)
 * silently dropped could weaken the policy. The reference is docs/policy.md.
 */

/**
 * Methods a rule may list. TRACE and CONNECT are left out on purpose (no PSD2 API uses them; TRACE is a
 * cross-site tracing vector), and there is no `*`: every method a role may use is written down.
 */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** One route of the file, from either section, as the compiler needs it. */
export interface PolicyEntry {
  /** Where it stands in the file, e.g. `rules.3`. */
  readonly key: string;
  /** The `id` from the file, or `key` when it has none. */
  readonly id: string;
  readonly methods: readonly HttpMethod[];
  readonly pattern: string;
  readonly segments: readonly Segment[];
  /** undefined for a public route. */
  readonly roles: readonly Psd2Role[] | undefined;
  /** dry-run: a denial under this rule is logged, counted and marked, but the request is allowed. */
  readonly mode: RuleMode;
}

export type RuleMode = "enforce" | "dry-run";

const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1 to 64 letters, digits, '.', '_' or '-'");

const methodSchema = z.enum(HTTP_METHODS, {
  error: (issue) =>
    `unknown method ${shown(issue.input)}; expected one of ${HTTP_METHODS.join(", ")} ` +
    "(methods are case-sensitive, and '*' is not allowed: list each method)",
});

const roleSchema = z.enum(PSD2_ROLES, {
  error: (issue) => `unknown role ${shown(issue.input)}; expected one of ${PSD2_ROLES.join(", ")}`,
});

const patternSchema = z.string().transform((text, ctx) => {
  const parsed = parsePattern(text);
  if (parsed.ok) return { text, segments: parsed.value };
  ctx.addIssue({ code: "custom", message: `bad pattern '${text}': ${parsed.error}` });
  return z.NEVER;
});

/** A public route opens a path to anyone, so it must say where: a leading wildcard would open everything. */
const publicPatternSchema = patternSchema.refine(
  (pattern) => pattern.segments.length === 0 || pattern.segments[0]?.kind === "literal",
  "a public path must start with a literal segment ('/*' or '/**' would make every path public)",
);

const methodsSchema = z
  .array(methodSchema)
  .min(1, "list at least one method")
  .superRefine(noDuplicates("method"));

const rolesSchema = z
  .array(roleSchema)
  .min(1, "list at least one role (a route that needs no certificate belongs under 'public')")
  .superRefine(noDuplicates("role"));

const publicRouteSchema = z.strictObject({
  id: idSchema.optional(),
  methods: methodsSchema,
  path: publicPatternSchema,
});

const ruleSchema = z.strictObject({
  id: idSchema.optional(),
  methods: methodsSchema,
  path: patternSchema,
  roles: rolesSchema,
  mode: z.enum(["enforce", "dry-run"]).default("enforce"),
});

const policySchema = z
  .strictObject({
    version: z.literal(1, { error: "must be 1 (the only version of this format)" }),
    public: z.array(publicRouteSchema).default([]),
    rules: z.array(ruleSchema).min(1, "list at least one rule (an empty policy would deny every request)"),
  })
  .transform(toEntries)
  .superRefine(uniqueIds)
  .superRefine(oneRulePerPatternAndMethod);

const POLICY_FILE: ConfigFileFormat<typeof policySchema> = {
  schema: policySchema,
  expected: "'version: 1' and 'rules'",
};

/** Parses and validates the text of a policy file; throws ConfigError. */
export function readPolicyFile(text: string, fileName: string): readonly PolicyEntry[] {
  return parseConfigFile(text, fileName, POLICY_FILE);
}

/** Reads and validates a policy file from disk; throws ConfigError, also when it cannot be read. */
export function loadPolicyFile(file: string): readonly PolicyEntry[] {
  return readConfigFile(file, POLICY_FILE);
}

function toEntries(file: {
  readonly public: readonly z.output<typeof publicRouteSchema>[];
  readonly rules: readonly z.output<typeof ruleSchema>[];
}): PolicyEntry[] {
  const publicEntries = file.public.map((route, index) =>
    entry(`public.${index}`, route, undefined, "enforce"),
  );
  const ruleEntries = file.rules.map((rule, index) => entry(`rules.${index}`, rule, rule.roles, rule.mode));
  return [...publicEntries, ...ruleEntries];
}

function entry(
  key: string,
  route: z.output<typeof publicRouteSchema>,
  roles: readonly Psd2Role[] | undefined,
  mode: RuleMode,
): PolicyEntry {
  return Object.freeze({
    key,
    id: route.id ?? key,
    methods: Object.freeze([...route.methods]),
    pattern: route.path.text,
    segments: route.path.segments,
    roles: roles === undefined ? undefined : Object.freeze([...roles]),
    mode,
  });
}

/** Ids name the rule in every log line and metric, so two rules must never share one. */
function uniqueIds(entries: readonly PolicyEntry[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  for (const current of entries) {
    const earlier = seen.get(current.id);
    if (earlier !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [...keyPath(current.key), "id"],
        message: `duplicate id '${current.id}' (also used by ${earlier})`,
      });
    }
    seen.set(current.id, current.key);
  }
}

/**
 * Two rules with the same pattern and a common method would make the answer depend on file order, which is
 * exactly what "most specific wins" avoids. Patterns have one spelling each, so comparing text is enough.
 */
function oneRulePerPatternAndMethod(entries: readonly PolicyEntry[], ctx: z.RefinementCtx): void {
  const owner = new Map<string, string>();
  for (const current of entries) {
    for (const [index, method] of current.methods.entries()) {
      const slot = `${method} ${current.pattern}`;
      const earlier = owner.get(slot);
      if (earlier !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [...keyPath(current.key), "methods", index],
          message: `${method} ${current.pattern} is already covered by ${earlier}; one method and path must have one rule`,
        });
      }
      owner.set(slot, current.key);
    }
  }
}

function noDuplicates(what: string) {
  return (values: readonly string[], ctx: z.RefinementCtx): void => {
    for (const [index, value] of values.entries()) {
      if (values.indexOf(value) !== index) {
        ctx.addIssue({ code: "custom", path: [index], message: `duplicate ${what} ${value}` });
      }
    }
  };
}

function keyPath(key: string): (string | number)[] {
  return key.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function shown(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
}
