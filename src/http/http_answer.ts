import { errorBody, httpStatus } from "../decision/berlin_group.js";
import type { Decision } from "../decision/decision.js";
import type { HeaderList } from "../decision/identity.js";
import { upstreamHeaders } from "../decision/upstream_headers.js";
import type { ResponseSettings } from "../envoy/check_response.js";
import type { DenyReason } from "../reasons.js";

/** A response of the HTTP authorization mode, independent of node's ServerResponse. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: HeaderList;
  readonly body: string;
}

/**
 * Decision -> HTTP answer, the same content as the gRPC edge: allow is 200 with the identity headers for
 * the proxy to copy upstream; deny is the reason's status (401/403/400) with the reason header and the
 * Berlin Group body, which depends on the reason only.
 */
export function answerFor(decision: Decision, settings: ResponseSettings): HttpAnswer {
  return decision.allowed
    ? { status: 200, headers: upstreamHeaders(decision, settings.headerPrefix), body: "" }
    : denialAnswer(decision.reason, settings);
}

export function denialAnswer(reason: DenyReason, settings: ResponseSettings): HttpAnswer {
  return {
    status: httpStatus(reason),
    headers: [
      ["content-type", "application/json"],
      [settings.reasonHeader, reason],
    ],
    body: errorBody(reason),
  };
}
