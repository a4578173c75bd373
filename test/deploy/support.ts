import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments, parseDocument } from "yaml";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";

/** Helpers for the structural tests of the deployment files: YAML in, narrowed values out. */

export const ROOT = PROJECT_ROOT;

export function repoPath(...parts: string[]): string {
  return join(ROOT, ...parts);
}

export function readText(path: string): string {
  return readFileSync(repoPath(path), "utf8");
}

/** One YAML document; duplicate keys and syntax errors fail the test that reads it. */
export function parseYaml(text: string, what: string): unknown {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) throw new Error(`${what}: ${document.errors[0]?.message}`);
  return document.toJS();
}

export function readYaml(path: string): unknown {
  return parseYaml(readText(path), path);
}

export function readYamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readText(path), { uniqueKeys: true }).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message}`);
    return document.toJS();
  });
}

export type Tree = Record<string, unknown>;

export function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a path of keys and indexes, or undefined when any step is missing. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const step of path) {
    if (typeof step === "number") node = Array.isArray(node) ? node[step] : undefined;
    else node = isTree(node) ? node[step] : undefined;
  }
  return node;
}

export function tree(value: unknown, what: string): Tree {
  if (!isTree(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

export function text(value: unknown, what: string): string {
  if (typeof value !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

/** The element of a list whose `name` is `name` (Envoy listeners, clusters, filters; k8s ports). */
export function named(items: unknown, name: string): Tree {
  const found = list(items, `list holding ${name}`).find((item) => isTree(item) && item.name === name);
  return tree(found, `entry named ${name}`);
}

/** Every value stored under `key` anywhere in the tree (e.g. every `filename` of an Envoy config). */
export function valuesOfKey(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuesOfKey(item, key));
  if (!isTree(value)) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === key ? [v, ...valuesOfKey(v, key)] : valuesOfKey(v, key),
  );
}

/** The comment lines right above the first line containing `marker`, without their `#`. */
export function commentAbove(source: string, marker: string): string {
  const lines = source.split("\n");
  const index = lines.findIndex((line) => line.includes(marker));
  const comment: string[] = [];
  for (let i = index - 1; i >= 0 && /^\s*#/.test(lines[i] ?? ""); i--) {
    comment.unshift((lines[i] ?? "").replace(/^\s*#\s?/, ""));
  }
  return comment.join(" ");
}

/** Files under a folder, as paths relative to it. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((entry) => statSync(join(dir, entry)).isFile())
    .map((entry) => relative(dir, join(dir, entry)));
}

/** True when `command args` runs and exits 0 (used to skip checks that need a binary this machine lacks). */
export function commandWorks(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`, then killed) and reports how it ended. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd ?? ROOT,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs the compose `pki` job (deploy/pki/generate.sh) on this machine into `outDir`, with the TypeScript
 * sources through tsx instead of the compiled dist/ the image uses. Returns the files it wrote, relative
 * to `outDir` (e.g. "qtsp/root.pem").
 */
export async function runPkiJob(outDir: string): Promise<string[]> {
  const result = await run("sh", [repoPath("deploy/pki/generate.sh"), outDir], {
    env: { ...process.env, GATEKEEPER_MODULES: repoPath("src"), NODE_OPTIONS: "--import tsx" },
  });
  if (result.code !== 0)
    throw new Error(`pki job failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return filesUnder(outDir);
}

/** `${VAR:-default}` as docker compose interpolates it when VAR is unset. */
export function composeDefault(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, "$1");
}

export type Mounted =
  | { readonly kind: "repo"; readonly file: string }
  | { readonly kind: "volume"; readonly volume: string; readonly file: string }
  | { readonly kind: "unmounted" };

/** Where a path inside a compose service's container comes from: a repository file or a named volume. */
export function resolveMount(service: unknown, containerPath: string): Mounted {
  let best: { source: string; target: string } | undefined;
  for (const entry of list(at(service, "volumes") ?? [], "volumes")) {
    const [source, target] = text(entry, "volume").split(":");
    if (source === undefined || target === undefined) continue;
    const covers = containerPath === target || containerPath.startsWith(`${target}/`);
    if (covers && (best === undefined || target.length > best.target.length)) best = { source, target };
  }
  if (best === undefined) return { kind: "unmounted" };
  const rest = containerPath.slice(best.target.length).replace(/^\//, "");
  if (best.source.startsWith("./")) return { kind: "repo", file: join(best.source.slice(2), rest) };
  return { kind: "volume", volume: best.source, file: rest };
}

/**
 * The arguments deploy/ocsp/serve.sh passes to `openssl ocsp`, with its defaults filled in and `$PKI` set to
 * `pkiDir`, minus `-port`: tests answer single requests with `-reqin`/`-respout` through the same options
 * (the daemon binds every interface, and tests listen on loopback only).
 */
export function serveShOcspArgs(pkiDir: string): string[] {
  const script = readText("deploy/ocsp/serve.sh");
  const command = script.slice(script.indexOf("exec openssl ocsp"));
  const args: string[] = [];
  for (const match of command.matchAll(/(-[a-z_]+)(?: "([^"]*)")?/gi)) {
    const [, option = "", value] = match;
    if (option === "-port") continue;
    args.push(option);
    if (value !== undefined) {
      args.push(value.replace("$PKI", pkiDir).replace(/\$\{[A-Z_]+:-([^}]*)\}/, "$1"));
    }
  }
  return args;
}

/** PromQL words that are neither functions (those are followed by "(") nor metric names. */
const PROMQL_WORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "and",
  "or",
  "unless",
]);

/**
 * The metric names a PromQL expression reads: strings, label matchers, ranges and grouping clauses removed,
 * then every identifier that is not a function call or a keyword.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    // "sum by (le) (x)" -> "sum (x)": the aggregation then reads as the function call it is.
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
    .replace(/\[[^\]]*\]/g, "");
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const next = stripped.slice((match.index ?? 0) + word.length).trimStart();
    if (next.startsWith("(") || PROMQL_WORDS.has(word)) continue;
    names.push(word);
  }
  return names;
}

/** Every PromQL expression of the Grafana dashboard, row panels skipped. */
export function dashboardExpressions(): string[] {
  const dashboard = tree(JSON.parse(readText("deploy/grafana/dashboards/psd2-gatekeeper.json")), "dashboard");
  return list(dashboard.panels, "panels")
    .filter((panel) => at(panel, "type") !== "row")
    .flatMap((panel) =>
      list(at(panel, "targets"), "targets").map((target) => text(at(target, "expr"), "expr")),
    );
}
