import pino, { type DestinationStream, type Logger } from "pino";
import { type BatchedWriter, batchedWriter } from "./batched_writer.js";

export type { Logger };

/** Characters of log lines gathered before a write(2): about a dozen decision lines. */
const BATCH_CHARS = 4096;
/** The longest a line waits in the batch when traffic is light. */
const FLUSH_INTERVAL_MS = 200;

/**
 * Stdout, batched (batched_writer.ts): lines are written 4 KiB at a time, and at the latest 200 ms after
 * they were logged, so a write(2) serves about a dozen Checks. Synchronous, as pino's own destination is
 * by default: the write happens on the event loop instead of a round trip through libuv's thread pool,
 * which on a one-CPU pod costs context switches per write that the Checks then wait for
 * (bench/results.md, "Design measurements"). A log reader that stops reading therefore slows Checks down
 * (Envoy's timeout then fails them closed) rather than growing the process's memory. Shutdown flushes; a
 * hard crash can lose the last 200 ms of lines.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(LOG_OPTIONS(level), destination ?? batchedStdout());
}

/**
 * String levels ("info", not 30) and ISO 8601 time, as OPA and most log pipelines expect (issue 14). The
 * level label is a lookup; the time is isoTime's.
 */
function LOG_OPTIONS(level: string): pino.LoggerOptions {
  return {
    level,
    base: { service: "psd2-gatekeeper" },
    timestamp: isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

let formattedSecond = Number.NaN;
let secondPrefix = "";

/**
 * pino's `,"time":"<ISO 8601>"`, the same text as pino.stdTimeFunctions.isoTime, without a Date and a
 * toISOString per line (a tenth of the decision line's cost): the part up to the second is formatted
 * once a second, the milliseconds are appended.
 */
export function isoTime(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== formattedSecond) {
    formattedSecond = second;
    secondPrefix = `,"time":"${new Date(second * 1000).toISOString().slice(0, 20)}`;
  }
  const ms = nowMs - second * 1000;
  return `${secondPrefix}${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z"`;
}

let stdout: BatchedWriter | undefined;

/** One batch for the process: every logger writing to fd 1 shares it, so lines keep their order. */
function batchedStdout(): DestinationStream {
  stdout ??= batchedWriter(1, { batchChars: BATCH_CHARS, flushIntervalMs: FLUSH_INTERVAL_MS });
  return stdout;
}
