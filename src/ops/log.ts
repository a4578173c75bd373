import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/** Bytes of log lines gathered before a write(2): about a dozen decision lines. */
const BATCH_BYTES = 4096;
/** The longest a line waits in the batch when traffic is light. */
const FLUSH_INTERVAL_MS = 200;

/**
 * Stdout through pino's destination, batched: lines are written 4 KiB at a time, and at the latest 200 ms
 * after they were logged (sonic-boom's periodic flush), so a write(2) serves about a dozen Checks.
 * Synchronous, pino's default: the write happens on the event loop instead of a round trip through libuv's
 * thread pool, which on a one-CPU pod costs context switches per write that the Checks then wait for
 * (bench/results.md, "Design measurements"). A log reader that stops reading therefore slows Checks down
 * (Envoy's timeout then fails them closed) rather than growing the process's memory. Shutdown flushes; a hard
 * crash can lose the last 200 ms of lines.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(LOG_OPTIONS(level), destination ?? batchedStdout());
}

/**
 * String levels ("info", not 30) and ISO 8601 time, as OPA and most log pipelines expect (issue 14). The
 * ISO time costs a Date and a format per line; the level label is a lookup.
 */
function LOG_OPTIONS(level: string): pino.LoggerOptions {
  return {
    level,
    base: { service: "psd2-gatekeeper" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

function batchedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: true, minLength: BATCH_BYTES, periodicFlush: FLUSH_INTERVAL_MS });
}
