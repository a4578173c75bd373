import type { Psd2Role } from "../qwac/qwac.js";
import { loadPolicyFile, type PolicyEntry, type RuleMode, readPolicyFile } from "./policy_file.js";
import { RouteTrie } from "./route_trie.js";

export { MAX_PATH_LENGTH, safePath } from "./safe_path.js";

/**
 * The role-to-path policy: which PSD2 roles may call which method and path (docs/policy.md).
 *
 * Precedence: the most specific pattern that matches the path wins, whatever the file order and whichever
 * section (`public` or `rules`) it is in. Specificity is decided at the first segment where two patterns
 * differ: a literal beats `*`, `*` beats `**`, and a pattern that ends beats `**` matching nothing. That
 * pattern then owns the path: if none of its rules lists the request's method, the request is denied, even
 * when a broader pattern lists the method. Two rules with the same pattern and a common method are refused
 * at load time, so no answer ever depends on the order of the file. Why not "first match in file order":
 * a broad rule written early would silently capture the paths of every narrower rule after it, and the
 * damage would come from an edit far away from the rule it breaks.
 */

/** What a route asks for. `public` routes need no certificate at all. */
export type RouteRequirement =
  | { readonly kind: "public"; readonly ruleId: string }
  | {
      readonly kind: "roles";
      readonly ruleId: string;
      readonly anyOf: readonly Psd2Role[];
      /** dry-run: denials under this rule are reported, not enforced (see docs/policy.md). */
      readonly mode: RuleMode;
    };

export interface Policy {
  /** `path` is already the safe, query-free path from `safePath`. No matching rule -> undefined (deny). */
  match(method: string, path: string): RouteRequirement | undefined;
  /** What the file held, for the start-up line and `qwac check-config`. */
  readonly counts: PolicyCounts;
}

export interface PolicyCounts {
  /** Rules that require a role. */
  readonly rules: number;
  readonly publicRoutes: number;
  readonly dryRunRules: number;
}

/** Parses and compiles a policy document; throws ConfigError naming file, key and problem. */
export function parsePolicy(text: string, fileName: string): Policy {
  return compile(readPolicyFile(text, fileName));
}

export function loadPolicy(file: string): Policy {
  return compile(loadPolicyFile(file));
}

function compile(entries: readonly PolicyEntry[]): Policy {
  const trie = new RouteTrie<RouteRequirement>();
  for (const entry of entries) trie.add(entry.segments, entry.methods, requirementOf(entry));
  const rules = entries.filter((entry) => entry.roles !== undefined);
  const counts: PolicyCounts = Object.freeze({
    rules: rules.length,
    publicRoutes: entries.length - rules.length,
    dryRunRules: rules.filter((entry) => entry.mode === "dry-run").length,
  });
  return Object.freeze({
    counts,
    match(method: string, path: string): RouteRequirement | undefined {
      if (!isStructurallySafe(path)) return undefined;
      // The one allocation per request: '/v1/a' splits into ['', 'v1', 'a'], so matching starts at 1.
      const segments = path.length === 1 ? ROOT : path.split("/");
      return trie.lookup(method, segments, 1);
    },
  });
}

/** '/' splits into ['', '']; as a segment list from index 1 it must hold no segment at all. */
const ROOT: readonly string[] = Object.freeze([""]);

/**
 * Defence in depth for a caller that skipped `safePath`: the shapes that would let `**` swallow an empty
 * segment or a query are refused here too (cheap scans, no decoding).
 */
function isStructurallySafe(path: string): boolean {
  return (
    path.startsWith("/") &&
    (path.length === 1 || !path.endsWith("/")) &&
    !path.includes("//") &&
    !path.includes("?") &&
    !path.includes("#")
  );
}

/** Built once at load time and frozen, so a match returns a shared object and allocates nothing more. */
function requirementOf(entry: PolicyEntry): RouteRequirement {
  return entry.roles === undefined
    ? Object.freeze({ kind: "public", ruleId: entry.id })
    : Object.freeze({ kind: "roles", ruleId: entry.id, anyOf: entry.roles, mode: entry.mode });
}
