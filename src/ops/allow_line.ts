import pino, { type Logger } from "pino";
import type { LateLine } from "./batched_writer.js";

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
  const stream = root[streamSym] as LineStream;
  const tail = `,"msg":"allow"${root[endSym] as string}`;
  if (levelPrefix === undefined) return undefined;
  return (child) => {
    // The bindings and the first key, joined once per logger: fewer pieces to join on every line.
    const head = `${(child as unknown as Internals)[chindingsSym] as string},"reqId":`;
    const parts: LineParts = {
      levelPrefix,
      head,
      tail,
      chars: levelPrefix.length + head.length + tail.length,
    };
    // The time is read now, the rest of the line is made with its batch (batched_writer.ts).
    if (typeof stream.writeLate === "function") {
      const late = stream.writeLate.bind(stream);
      return (fields) => late(new LateAllowLine(parts, time(), fields));
    }
    return (fields) => stream.write(allowText(parts, time(), fields));
  };
}

/** What pino writes to: any stream has `write`; the batched writer also takes late lines. */
interface LineStream {
  write(line: string): void;
  writeLate?: (line: LateLine) => void;
}

/** The fixed pieces of one logger's allow line. */
interface LineParts {
  readonly levelPrefix: string;
  /** The logger's bindings and `,"reqId":`. */
  readonly head: string;
  readonly tail: string;
  readonly chars: number;
}

/** Characters of a line's variable part besides its request id and path: the verdict, the time, `us`. */
const VARIABLE_CHARS = 120;

class LateAllowLine implements LateLine {
  readonly chars: number;

  constructor(
    private readonly parts: LineParts,
    private readonly time: string,
    private readonly fields: AllowFields,
  ) {
    this.chars = parts.chars + fields.reqId.length + fields.path.length + VARIABLE_CHARS;
  }

  text(): string {
    return allowText(this.parts, this.time, this.fields);
  }
}

function allowText(parts: LineParts, time: string, fields: AllowFields): string {
  return `${parts.levelPrefix}${time}${parts.head}${JSON.stringify(fields.reqId)}${methodPart(fields.method)}${JSON.stringify(fields.path)}${verdictPart(fields.revocation, fields.via)}${fields.us}${parts.tail}`;
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
