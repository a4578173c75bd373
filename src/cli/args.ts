import { parseArgs } from "node:util";
import type { TrustedListsCommand } from "./trusted_lists.js";

/**
 * The command line, parsed once into a typed command. Anything the user got wrong becomes a UsageError
 * message (exit 2), never an exception: an operator should see what to type, not a stack.
 */

export interface InspectCommand {
  readonly kind: "inspect";
  /** A file path, or "-" for stdin. */
  readonly input: string;
  readonly configFile: string | undefined;
  /** Present only with --config; method and path always come together. */
  readonly request: { readonly method: string; readonly path: string } | undefined;
  readonly json: boolean;
  readonly revocation: boolean;
  /** The time validity and chain are judged at; undefined means now. */
  readonly at: Date | undefined;
}

export interface CheckConfigCommand {
  readonly kind: "check-config";
  readonly configFile: string;
  readonly json: boolean;
  readonly at: Date | undefined;
}

export type Command = InspectCommand | CheckConfigCommand | TrustedListsCommand | { readonly kind: "help" };

export type ParsedCommand =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly message: string };

const OPTIONS = {
  config: { type: "string", short: "c" },
  method: { type: "string", short: "X" },
  path: { type: "string", short: "p" },
  json: { type: "boolean" },
  "no-revocation": { type: "boolean" },
  at: { type: "string" },
  help: { type: "boolean", short: "h" },
  signers: { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Which options each command takes; another one is a mistake worth telling the user about. */
const ALLOWED: Readonly<Record<"inspect" | "check-config" | "trusted-lists", readonly OptionName[]>> = {
  "trusted-lists": ["signers", "help"],
  inspect: ["config", "method", "path", "json", "no-revocation", "at", "help"],
  "check-config": ["json", "at", "help"],
};

/** An HTTP method token as clients send it: the policy compares methods case-sensitively. */
const METHOD = /^[A-Z]+$/;

/** ISO 8601 date or date-time, e.g. 2025-07-01 or 2025-07-01T12:00:00Z. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

export function parseCommand(argv: readonly string[]): ParsedCommand {
  let parsed: ReturnType<typeof parseWithNode>;
  try {
    parsed = parseWithNode(argv);
  } catch (error) {
    // parseArgs throws a TypeError (ERR_PARSE_ARGS_*) whose message is already meant for the user.
    return usage(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [name, ...operands] = positionals;
  if (name === undefined) return values.help === true ? help() : usage("no command given");
  if (name === "help") return help();
  if (name !== "inspect" && name !== "check-config" && name !== "trusted-lists") {
    return usage(`unknown command "${name}"`);
  }
  if (values.help === true) return help();
  const stray = (Object.keys(values) as OptionName[]).find((option) => !ALLOWED[name].includes(option));
  if (stray !== undefined) return usage(`${name} does not take --${stray}`);
  const at = parseAt(values.at);
  if (typeof at === "string") return usage(at);
  if (name === "trusted-lists") return trustedListsCommand(values, operands);
  return name === "inspect" ? inspectCommand(values, operands, at) : checkConfigCommand(values, operands, at);
}

function parseWithNode(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
}

type Values = ReturnType<typeof parseWithNode>["values"];

function inspectCommand(values: Values, operands: readonly string[], at: Date | undefined): ParsedCommand {
  const [input, ...extra] = operands;
  if (input === undefined) return usage("inspect needs a certificate file (or - for stdin)");
  if (extra.length > 0) return usage(`inspect takes one certificate file, got also "${extra.join(" ")}"`);
  const request = requestOf(values);
  if (typeof request === "string") return usage(request);
  if (request !== undefined && values.config === undefined) {
    return usage("--method/--path need --config: the decision comes from the configured policy and trust");
  }
  return {
    ok: true,
    command: {
      kind: "inspect",
      input,
      configFile: values.config,
      request,
      json: values.json === true,
      revocation: values["no-revocation"] !== true,
      at,
    },
  };
}

function requestOf(values: Values): { method: string; path: string } | undefined | string {
  const { method, path } = values;
  if (method === undefined && path === undefined) return undefined;
  if (method === undefined || path === undefined) return "--method and --path go together";
  if (!METHOD.test(method)) {
    return `--method "${method}": HTTP methods are case-sensitive tokens (did you mean ${method.toUpperCase()}?)`;
  }
  return { method, path };
}

function checkConfigCommand(
  values: Values,
  operands: readonly string[],
  at: Date | undefined,
): ParsedCommand {
  const [configFile, ...extra] = operands;
  if (configFile === undefined) return usage("check-config needs a config file");
  if (extra.length > 0) return usage(`check-config takes one config file, got also "${extra.join(" ")}"`);
  return { ok: true, command: { kind: "check-config", configFile, json: values.json === true, at } };
}

function trustedListsCommand(values: Values, operands: readonly string[]): ParsedCommand {
  const [input, ...extra] = operands;
  if (input === undefined) return usage("trusted-lists needs a list file or a directory of lists");
  if (extra.length > 0)
    return usage(`trusted-lists takes one file or directory, got also "${extra.join(" ")}"`);
  return { ok: true, command: { kind: "trusted-lists", input, signers: values.signers } };
}

function parseAt(value: string | undefined): Date | undefined | string {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!ISO_DATE.test(value) || Number.isNaN(date.getTime()) || !isCalendarDate(value.slice(0, 10))) {
    return `--at "${value}" is not an ISO 8601 date (e.g. 2025-07-01 or 2025-07-01T12:00:00Z)`;
  }
  return date;
}

/** Date rolls 2025-02-30 over to March 2nd; a typo in a date must not silently move it. */
function isCalendarDate(day: string): boolean {
  return new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day;
}

function usage(message: string): ParsedCommand {
  return { ok: false, message };
}

function help(): ParsedCommand {
  return { ok: true, command: { kind: "help" } };
}

export const USAGE = `Usage:
  qwac inspect FILE [--config CONFIG [--method M --path P] [--no-revocation]] [--at DATE] [--json]
  qwac check-config CONFIG [--at DATE] [--json]
  qwac trusted-lists FILE|DIR [--signers OJ.pem]

inspect       What a PSD2 certificate says (subject, organizationIdentifier, roles, NCA, QC statements,
              validity, fingerprint, AIA/CDP URLs) and whether it is a usable QWAC.
              FILE is PEM (a bundle: the first certificate is the leaf, the rest are offered as chain),
              DER, base64, Envoy's percent-encoded PEM, or - for stdin.
  -c, --config CONFIG   also verify the chain against the configured trust and ask the configured
                        OCSP/CRL sources (with the service's timeouts and fail mode)
  -X, --method M        with --path: the decision the service would give for this request
  -p, --path P          the request path as the client sends it (query included)
  --no-revocation       do not ask OCSP/CRL
  --at DATE             judge validity and the chain at this ISO 8601 time instead of now
                        (revocation is always the live status)
  --json                stable machine-readable output

check-config  Validate a service config with its policy and trust files, as the service loads them.

trusted-lists Verify and summarise EU trusted lists offline: a LOTL (its pivots from the same directory)
              and Member State lists, each checked against the newest LOTL's pointer for its territory.
              Per list: territory, sequence, dates, signer; for a TL the services that issue QWACs.
  --signers PEM         the Official Journal LOTL signing certificates (without: signature maths only)

Exit status: 0 good, 1 the certificate (or its decision) is bad, 2 usage or config error.
`;
