import pino, { type DestinationStream, type Logger } from "pino";
import type { CheckInput } from "./check_input.js";
import type { Decision } from "./decision/decision.js";

export type { Logger };

/**
 * Stdout through pino's asynchronous destination: under load, lines logged while a write is in flight go
 * out together in one write(2) instead of one each; an idle line goes out at once. Shutdown flushes; a hard
 * crash can lose the lines still buffered (pino's documented trade-off).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  // pino's default epoch-millisecond time: an ISO string costs a Date and a format per line on the hot path.
  const options = { level, base: { service: "psd2-gatekeeper" } };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
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
