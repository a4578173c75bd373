import pino, { type DestinationStream, type Logger } from "pino";
import type { CheckInput } from "./check_input.js";
import type { Decision } from "./decision/decision.js";

export type { Logger };

/** Bytes of log lines gathered before a write(2): about a dozen decision lines. */
const BATCH_BYTES = 4096;
/** The longest a line waits in the batch when traffic is light. */
const FLUSH_INTERVAL_MS = 200;

/**
 * Stdout through pino's asynchronous destination, batched: lines are written 4 KiB at a time, and at the
 * latest 200 ms after they were logged. Each write is a round trip through libuv's thread pool; batching
 * makes that one per dozen Checks instead of one per Check. Shutdown flushes; a hard crash can lose the
 * last 200 ms of lines (pino's documented trade-off for asynchronous logging).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  // pino's default epoch-millisecond time: an ISO string costs a Date and a format per line on the hot path.
  const options = { level, base: { service: "psd2-gatekeeper" } };
  return pino(options, destination ?? batchedStdout());
}

function batchedStdout(): DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES });
  setInterval(() => stdout.flush(), FLUSH_INTERVAL_MS).unref();
  return stdout;
}

/**
 * One line per Check. Only the TPP identity and the request line: never the certificate, never other
 * headers, never query values (they can carry PSU data such as account ids).
 */
export function logDecision(logger: Logger, input: CheckInput, decision: Decision, micros: number): void {
  if (!logger.isLevelEnabled("info")) return;
  const line = {
    reqId: input.requestId,
    tpp: decision.tpp?.organizationIdentifier,
    roles: decision.tpp?.roles.join(","),
    // Roles this service does not know are never granted; showing them tells the operator why.
    unknownRoles: decision.tpp?.unknownRoleOids.length ? decision.tpp.unknownRoleOids.join(",") : undefined,
    method: input.method,
    path: decision.path,
    decision: decision.allowed ? "allow" : "deny",
    reason: decision.allowed ? undefined : decision.reason,
    wouldDeny: decision.allowed ? decision.wouldDeny?.reason : undefined,
    detail: decision.allowed ? decision.wouldDeny?.detail : decision.detail,
    revocation: decision.revocation?.status,
    via: decision.certificateVia,
    us: micros,
  };
  logger.info(line, decision.allowed ? "allow" : "deny");
}
