import { denialHeaders, errorBody, httpStatus } from "../decision/berlin_group.js";
import type { Decision } from "../decision/decision.js";
import type { HeaderList } from "../decision/identity.js";
import type { ResponseSettings } from "../decision/response_settings.js";
import { upstreamHeaders } from "../decision/upstream_headers.js";
import type { DenyReason } from "../foundation/reasons.js";

/** A response of the HTTP authorization mode, independent of node's ServerResponse. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: HeaderList;
  readonly body: string;
}

/**
 * Decision -> HTTP answer, the same content as the gRPC edge: allow is 200 with the identity headers for
 * the proxy to copy upstream; deny is the reason's status (400/401/503) with the reason header and the
 * Berlin Group body, which depends on the reason only.
 */
export function answerFor(decision: Decision, settings: ResponseSettings, requestId: string): HttpAnswer {
  return decision.allowed
    ? { status: 200, headers: upstreamHeaders(decision, settings.headerPrefix), body: "" }
    : denialAnswer(decision.reason, settings, requestId);
}

export function denialAnswer(reason: DenyReason, settings: ResponseSettings, requestId: string): HttpAnswer {
  return {
    status: httpStatus(reason),
    headers: denialHeaders(reason, settings.reasonHeader, requestId),
    body: errorBody(reason),
  };
}
