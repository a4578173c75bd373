import type { Psd2Role } from "../qwac/qwac.js";
import type { Result } from "../result.js";

/** What a route asks for. `public` routes need no certificate at all. */
export type RouteRequirement =
  | { readonly kind: "public"; readonly ruleId: string }
  | { readonly kind: "roles"; readonly ruleId: string; readonly anyOf: readonly Psd2Role[] };

export interface Policy {
  /** `path` is already the safe, query-free path from `safePath`. No matching rule -> undefined (deny). */
  match(method: string, path: string): RouteRequirement | undefined;
}

/** Strips the query and fragment and refuses every spelling that could reach a rule it should not. */
export declare function safePath(rawPath: string): Result<string>;

/** Parses and compiles a policy document; throws ConfigError naming file, key and problem. */
export declare function parsePolicy(text: string, fileName: string): Policy;

export declare function loadPolicy(file: string): Policy;
