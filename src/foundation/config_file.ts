import { readFileSync } from "node:fs";
import { type Document, isNode, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError, readFailure } from "./config_error.js";

/**
 * The one reader of the YAML files the service loads (the service config, the policy file): text in,
 * validated value out, or a ConfigError naming the file, the dotted key, the problem and its line. One
 * reader so an operator reads every file's errors the same way, and so every file gets the same strictness
 * (a key given twice is an error, not "the last one wins").
 */
export interface ConfigFileFormat<Schema extends z.ZodType> {
  readonly schema: Schema;
  /** What the top level must hold, for the empty-file and not-a-mapping errors: "'version: 1' and 'rules'". */
  readonly expected: string;
  /**
   * Applied to the parsed YAML before validation (the service config's port overrides from the
   * environment), so what it adds is validated like the file's own values. May throw a ConfigError.
   */
  readonly prepare?: (raw: unknown) => unknown;
}

/** Reads `file` from disk and validates it; throws ConfigError, also for a file that cannot be read. */
export function readConfigFile<Schema extends z.ZodType>(
  file: string,
  format: ConfigFileFormat<Schema>,
): z.output<Schema> {
  return parseConfigFile(readConfigText(file), file, format);
}

/** The text of a file, or a ConfigError naming it and the system error (ENOENT, EACCES). */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, "", `cannot read: ${readFailure(file, error)}`);
  }
}

/** Parses and validates `text` as the content of `file`; throws ConfigError. */
export function parseConfigFile<Schema extends z.ZodType>(
  text: string,
  file: string,
  format: ConfigFileFormat<Schema>,
): z.output<Schema> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError !== undefined) {
    const where = lineCounter.linePos(yamlError.pos[0]);
    throw new ConfigError(file, "", `YAML syntax error: ${yamlError.message.split("\n")[0]}`, {
      line: where.line,
      column: where.col,
    });
  }
  const data = plainData(document, file);
  if (data === null || data === undefined)
    throw new ConfigError(file, "", `the file is empty; expected ${format.expected}`);
  const raw = format.prepare === undefined ? data : format.prepare(data);
  const parsed = format.schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw schemaError(file, parsed.error, raw, format.expected, (path) => lineOf(document, lineCounter, path));
}

/** toJS refuses a document whose aliases would expand without bound (a "billion laughs"): a file error too. */
function plainData(document: Document, file: string): unknown {
  try {
    return document.toJS();
  } catch (error) {
    throw new ConfigError(file, "", `YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The issue an operator should see first: an unknown key before anything else, since a misspelt key also
 * shows up as a missing one; otherwise the first in file order.
 */
function schemaError(
  file: string,
  error: z.ZodError,
  data: unknown,
  expected: string,
  lineAt: (path: readonly PropertyKey[]) => number | undefined,
): ConfigError {
  const issue = error.issues.find((candidate) => candidate.code === "unrecognized_keys") ?? error.issues[0];
  if (issue === undefined) return new ConfigError(file, "", "invalid");
  // Several unknown keys in one mapping: the first is named, so the key is a real path with a line.
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
  const line = lineAt(path);
  return new ConfigError(
    file,
    path.map(String).join("."),
    problemText(issue, path, data, expected),
    line === undefined ? undefined : { line },
  );
}

function problemText(
  issue: z.core.$ZodIssue,
  path: readonly PropertyKey[],
  data: unknown,
  expected: string,
): string {
  if (issue.code === "unrecognized_keys") return "unknown key (check the spelling)";
  if (issue.code === "invalid_type" && path.length === 0) return `expected a mapping with ${expected}`;
  if (issue.code === "invalid_type" && valueAt(data, path) === undefined) return "required key is missing";
  return issue.message;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The line of the node at `path`, or of its nearest existing parent (a missing key has no node). */
function lineOf(
  document: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
): number | undefined {
  for (let length = path.length; length > 0; length--) {
    const node = document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
