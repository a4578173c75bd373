import type { Segment } from "./pattern.js";

/**
 * Compiled patterns as a segment trie. Lookup finds the single most specific pattern that matches a path
 * (see `mostSpecific`) and then picks the rule for the method from that pattern alone.
 */

/** The rules of one pattern, by method. Rules sharing a pattern have disjoint methods (checked at load). */
export type MethodTable<T> = ReadonlyMap<string, T>;

interface TrieNode<T> {
  readonly literals: Map<string, TrieNode<T>>;
  /** Lower-cased literal keys, to refuse segments that differ from a literal only in letter case. */
  readonly foldedLiterals: Set<string>;
  star: TrieNode<T> | undefined;
  /** Patterns that end exactly here. */
  exact: Map<string, T> | undefined;
  /** Patterns that end with `**` here. */
  rest: Map<string, T> | undefined;
}

/**
 * Returned when a segment equals a literal only when case is ignored. An upstream with case-insensitive
 * routing (ASP.NET Core's default) would serve '/v1/Payments/1' as '/v1/payments/1', so such a segment must
 * not fall through to a `*` or `**` sibling that grants other roles. Having no methods, it denies.
 */
const CASE_NEAR_MISS: MethodTable<never> = new Map<string, never>();

export class RouteTrie<T> {
  private readonly root: TrieNode<T> = newNode();

  /** Adds a rule; the caller has already refused two rules with the same pattern and method. */
  add(segments: readonly Segment[], methods: readonly string[], value: T): void {
    let node = this.root;
    for (const segment of segments) {
      if (segment.kind === "globstar") {
        node.rest ??= new Map();
        addMethods(node.rest, methods, value);
        return;
      }
      node = segment.kind === "star" ? starChild(node) : literalChild(node, segment.text);
    }
    node.exact ??= new Map();
    addMethods(node.exact, methods, value);
  }

  /**
   * The value for `method` under the most specific pattern matching `segments[from..]`, or undefined.
   * The most specific pattern owns the path: if it has no rule for the method, the answer is undefined even
   * when a broader pattern lists the method, so a specific rule can never be widened by a broader one.
   */
  lookup(method: string, segments: readonly string[], from: number): T | undefined {
    return mostSpecific(this.root, segments, from)?.get(method);
  }
}

/**
 * Depth-first search that tries, at each segment, the literal child, then `*`, then `**`; at the end of the
 * path an exact ending beats `**`. The first pattern found is therefore the most specific one: comparing two
 * patterns that match the same path segment by segment, the first difference decides, literal > `*` > `**`.
 * Every trie node sits at one depth, so each is visited at most once per lookup.
 */
function mostSpecific<T>(
  node: TrieNode<T>,
  segments: readonly string[],
  at: number,
): MethodTable<T> | undefined {
  if (at === segments.length) return node.exact ?? node.rest;
  const segment = segments[at]!;
  if (segment === "") return undefined;
  const literal = node.literals.get(segment);
  if (literal !== undefined) {
    const found = mostSpecific(literal, segments, at + 1);
    if (found !== undefined) return found;
  } else if (node.foldedLiterals.size > 0 && node.foldedLiterals.has(segment.toLowerCase())) {
    return CASE_NEAR_MISS;
  }
  if (node.star !== undefined) {
    const found = mostSpecific(node.star, segments, at + 1);
    if (found !== undefined) return found;
  }
  return node.rest;
}

function starChild<T>(node: TrieNode<T>): TrieNode<T> {
  node.star ??= newNode();
  return node.star;
}

function literalChild<T>(node: TrieNode<T>, text: string): TrieNode<T> {
  let child = node.literals.get(text);
  if (child === undefined) {
    child = newNode();
    node.literals.set(text, child);
    node.foldedLiterals.add(text.toLowerCase());
  }
  return child;
}

function addMethods<T>(table: Map<string, T>, methods: readonly string[], value: T): void {
  for (const method of methods) {
    if (table.has(method)) throw new Error(`bug: method ${method} added twice to one pattern`);
    table.set(method, value);
  }
}

function newNode<T>(): TrieNode<T> {
  return {
    literals: new Map(),
    foldedLiterals: new Set(),
    star: undefined,
    exact: undefined,
    rest: undefined,
  };
}
