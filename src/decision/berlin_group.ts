import { type DenyReason, REASONS, type ReasonEntry } from "../foundation/reasons.js";
import type { HeaderList } from "./identity.js";
import { echoedRequestId } from "./request_id.js";

/**
 * The Berlin Group NextGenPSD2 error body. Built once per reason at start: the body depends on the
 * reason only, never on request data, so nothing from the request can be reflected to the client.
 */
const BODIES: Readonly<Record<DenyReason, string>> = Object.fromEntries(
  Object.entries(REASONS).map(([reason, { code, text }]) => [
    reason,
    JSON.stringify({ tppMessages: [{ category: "ERROR", code, text }] }),
  ]),
) as Record<DenyReason, string>;

export function errorBody(reason: DenyReason): string {
  return BODIES[reason];
}

export function httpStatus(reason: DenyReason): number {
  return REASONS[reason].status;
}

/** `Retry-After` in seconds (RFC 9110 §10.2.3) for a transient failure on the bank's side, else undefined. */
export function retryAfterSeconds(reason: DenyReason): number | undefined {
  const entry: ReasonEntry = REASONS[reason];
  return entry.retryAfterSeconds;
}

/**
 * The headers of every denial, for both edges: the JSON type, the machine-readable reason, the request's
 * X-Request-ID (NextGenPSD2 answers carry the TPP's id back, so a ticket can quote it) and, for a
 * transient failure, Retry-After. The request id is the TPP's own value (or one the gateway generated)
 * and goes only into a header (made header-safe), never into the body.
 */
export function denialHeaders(reason: DenyReason, reasonHeader: string, requestId: string): HeaderList {
  const headers: [string, string][] = [
    ["content-type", "application/json"],
    [reasonHeader, reason],
    ["x-request-id", echoedRequestId(requestId)],
  ];
  const retryAfter = retryAfterSeconds(reason);
  if (retryAfter !== undefined) headers.push(["retry-after", String(retryAfter)]);
  return headers;
}
