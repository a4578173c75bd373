import { writeSync } from "node:fs";

/**
 * A line whose text is made when its batch is written, from values taken when it was logged: the warm
 * allow line (allow_line.ts). Its place in the output is where it was logged.
 */
export interface LateLine {
  /** About as many characters as its text will have: what it adds to the batch's size. */
  readonly chars: number;
  text(): string;
}

/** What pino needs of a destination, and what shutdown calls. */
export interface BatchedWriter {
  write(line: string): void;
  /** Gathers a line to be made when its batch is written, in order with the written ones. */
  writeLate(line: LateLine): void;
  /** Writes what is gathered, then calls back (pino's `logger.flush`). */
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

export interface BatchOptions {
  /** Characters gathered before a write(2). */
  readonly batchChars: number;
  /** The longest a line waits when traffic is light. */
  readonly flushIntervalMs: number;
}

/** A blocked pipe (the log reader is not reading) is waited for this long before the next try. */
const BLOCKED_RETRY_MS = 10;

/**
 * Lines gathered in an array and written with one synchronous write(2) per batch. Replaces sonic-boom
 * for the decision log: sonic-boom measures the byte length of its whole pending batch on every line,
 * which flattens and scans up to 4 KiB per line, and that was most of a decision line's cost. Here a
 * line costs an array push; the batch is joined once. A late line (writeLate) is even made then: the
 * code and data that make allow lines run a dozen times in a row instead of once between two requests'
 * worth of node's HTTP work, which had evicted them from the CPU's caches each time (bench/results.md,
 * "Design measurements").
 *
 * Synchronous like the destination it replaces, with the same back-pressure: when the reader of a
 * non-blocking pipe stops reading (EAGAIN), the write waits and retries, so Checks slow down rather than
 * the process's memory grow. A reader that went away (EPIPE) loses the lines, as pino's own destination
 * ignores a broken pipe. The periodic flush is unref'd; lines still gathered are written at exit.
 */
export function batchedWriter(fd: number, options: BatchOptions): BatchedWriter {
  let pending: (string | LateLine)[] = [];
  let chars = 0;
  const flushSync = (): void => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    chars = 0;
    writeText(fd, joined(batch));
  };
  const gather = (line: string | LateLine, size: number): void => {
    pending.push(line);
    chars += size;
    if (chars >= options.batchChars) flushSync();
  };
  setInterval(flushSync, options.flushIntervalMs).unref();
  process.once("exit", flushSync);
  return {
    write(line: string): void {
      gather(line, line.length);
    },
    writeLate(line: LateLine): void {
      gather(line, line.chars);
    },
    flush(callback?: (error?: Error) => void): void {
      try {
        flushSync();
      } catch (error) {
        callback?.(error as Error);
        return;
      }
      callback?.();
    },
    flushSync,
  };
}

/** One flat string: `Array.join` makes it in one piece, where `+=` made a rope to flatten again. */
function joined(batch: readonly (string | LateLine)[]): string {
  const texts: string[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const line = batch[i] as string | LateLine;
    texts[i] = typeof line === "string" ? line : line.text();
  }
  return texts.join("");
}

/**
 * The string goes to write(2) as it is: node encodes it on its way to the kernel, with no Buffer made
 * for it first (that allocation and copy were a measurable part of a warm allow: bench/results.md,
 * "Design measurements"). Only when the write was refused or partial (a reader that is not keeping up)
 * are the bytes made, and the rest written from them with retries.
 */
function writeText(fd: number, text: string): void {
  let written = 0;
  try {
    written = writeSync(fd, text);
  } catch (error) {
    if (afterWriteError(error) === "drop") return;
  }
  if (written === Buffer.byteLength(text)) return;
  writeFully(fd, Buffer.from(text, "utf8").subarray(written));
}

function writeFully(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if (afterWriteError(error) === "drop") return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BLOCKED_RETRY_MS);
    }
  }
}

/** A refused write(2): "retry" when the reader is behind (EAGAIN), "drop" when it went away (EPIPE). */
function afterWriteError(error: unknown): "retry" | "drop" {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EPIPE") return "drop";
  if (code === "EAGAIN") return "retry";
  throw error;
}
