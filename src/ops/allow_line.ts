import pino, { type Logger } from "pino";

/** The per-request values of an allow line; everything else in it is fixed per TPP and verdict. */
export interface AllowFields {
  readonly reqId: string;
  readonly method: string;
  readonly path: string;
  readonly revocation: string | undefined;
  readonly via: string | undefined;
  readonly us: number;
}

type Internals = Record<symbol, unknown>;

const {
  chindingsSym,
  endSym,
  formattersSym,
  hooksSym,
  lsCacheSym,
  messageKeySym,
  mixinSym,
  needsMetadataGsym,
  nestedKeySym,
  serializersSym,
  stringifiersSym,
  streamSym,
  timeSym,
  wildcardFirstSym,
} = pino.symbols;

/** Exported by pino at run time but missing from its typings. */
const msgPrefixSym = (pino.symbols as unknown as Record<string, symbol | undefined>).msgPrefixSym;

const INFO = 30;
const KEYS = ["reqId", "method", "path", "decision", "revocation", "via", "us", "msg"];

/**
 * The decision log's allow line, written as pino writes it (the logger's level label, its time function,
 * its bindings, then the fields and `msg`) without pino's generic walk over a fresh object on every
 * line: at the HTTP mode's request rates that walk and its string building were the costliest part of a
 * warm allow after the socket write. Used only for loggers whose output it reproduces byte for byte: no
 * mixin, no log formatter, no serializer or redaction on these keys, no nested key, no message prefix,
 * no stream that asks for metadata (pino.multistream). undefined for any other logger, which then logs
 * through pino as before.
 */
export function allowLineWriter(logger: Logger): ((child: Logger) => AllowLine) | undefined {
  const root = logger as unknown as Internals;
  if (!reproducible(root)) return undefined;
  const levelPrefix = (root[lsCacheSym] as Record<number, string>)[INFO];
  const time = root[timeSym] as () => string;
  const stream = root[streamSym] as { write(line: string): void };
  const tail = `,"msg":"allow"${root[endSym] as string}`;
  if (levelPrefix === undefined) return undefined;
  return (child) => {
    // The bindings and the first key, joined once per logger: fewer pieces to join on every line.
    const head = `${(child as unknown as Internals)[chindingsSym] as string},"reqId":`;
    return (fields) =>
      stream.write(
        `${levelPrefix}${time()}${head}${JSON.stringify(fields.reqId)}${methodPart(fields.method)}${JSON.stringify(fields.path)}${verdictPart(fields.revocation, fields.via)}${fields.us}${tail}`,
      );
  };
}

/** Writes one allow line for the logger it was made for. */
export type AllowLine = (fields: AllowFields) => void;

function reproducible(logger: Internals): boolean {
  const formatters = logger[formattersSym] as { log?: unknown } | undefined;
  const hooks = logger[hooksSym] as { streamWrite?: unknown } | undefined;
  const serializers = (logger[serializersSym] ?? {}) as Record<string, unknown>;
  const stringifiers = (logger[stringifiersSym] ?? {}) as Record<string | symbol, unknown>;
  const stream = logger[streamSym] as (Internals & { write?: unknown }) | undefined;
  return (
    formatters?.log === undefined &&
    !logger[mixinSym] &&
    hooks?.streamWrite === undefined &&
    !logger[nestedKeySym] &&
    msgPrefixSym !== undefined &&
    !logger[msgPrefixSym] &&
    logger[messageKeySym] === "msg" &&
    KEYS.every((key) => serializers[key] === undefined && stringifiers[key] === undefined) &&
    stringifiers[wildcardFirstSym] === undefined &&
    stream !== undefined &&
    typeof stream.write === "function" &&
    stream[needsMetadataGsym] !== true
  );
}

/** Methods seen, with their key and the next key: a handful of tokens, bounded anyway. */
const methodParts = new Map<string, string>();
const MAX_METHODS = 64;

function methodPart(method: string): string {
  let part = methodParts.get(method);
  if (part === undefined) {
    part = `,"method":${JSON.stringify(method)},"path":`;
    if (methodParts.size < MAX_METHODS) methodParts.set(method, part);
  }
  return part;
}

/** `,"decision":"allow","revocation":..,"via":..,"us":`, one string per (revocation label, origin) pair. */
const verdictParts = new Map<string | undefined, Map<string | undefined, string>>();

function verdictPart(revocation: string | undefined, via: string | undefined): string {
  let byVia = verdictParts.get(revocation);
  if (byVia === undefined) {
    byVia = new Map();
    verdictParts.set(revocation, byVia);
  }
  let part = byVia.get(via);
  if (part === undefined) {
    part = `,"decision":"allow"${field("revocation", revocation)}${field("via", via)},"us":`;
    byVia.set(via, part);
  }
  return part;
}

function field(name: string, value: string | undefined): string {
  return value === undefined ? "" : `,"${name}":${JSON.stringify(value)}`;
}
