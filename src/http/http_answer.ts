import { denialHeaders, errorBody, httpStatus } from "../decision/berlin_group.js";
import type { Allow, Decision } from "../decision/decision.js";
import type { HeaderList } from "../decision/identity.js";
import type { ResponseSettings } from "../decision/response_settings.js";
import { upstreamHeaders } from "../decision/upstream_headers.js";
import type { DenyReason } from "../foundation/reasons.js";

/** A response of the HTTP authorization mode, independent of node's ServerResponse. */
export interface HttpAnswer {
  readonly status: number;
  /**
   * Every header, `content-length` included, flat as node's `writeHead` takes them:
   * `[name, value, name, value, ...]`.
   */
  readonly head: readonly string[];
  readonly body: string;
}

/**
 * Decision -> HTTP answer, the same content as the gRPC edge: allow is 200 with the identity headers for
 * the proxy to copy upstream; deny is the reason's status (400/401/503) with the reason header and the
 * Berlin Group body, which depends on the reason only.
 *
 * A plain allow (no dry-run waiver, revocation not "unchecked") is the same answer on every request of
 * a TPP: it is built once per cached identity-header list and reused, so the warm path writes a ready
 * answer. Held weakly: a certificate leaving its cache frees its answer with it.
 */
export class HttpAnswers {
  private readonly allows = new WeakMap<HeaderList, HttpAnswer>();

  answer(decision: Decision, settings: ResponseSettings, requestId: string): HttpAnswer {
    if (!decision.allowed) return denialAnswer(decision.reason, settings, requestId);
    if (!isPlainAllow(decision)) return allowAnswer(upstreamHeaders(decision, settings.headerPrefix));
    const known = this.allows.get(decision.identityHeaders);
    if (known !== undefined) return known;
    const built = allowAnswer(decision.identityHeaders);
    this.allows.set(decision.identityHeaders, built);
    return built;
  }
}

function allowAnswer(headers: HeaderList): HttpAnswer {
  return { status: 200, head: flat(headers, ""), body: "" };
}

export function denialAnswer(reason: DenyReason, settings: ResponseSettings, requestId: string): HttpAnswer {
  const body = errorBody(reason);
  return {
    status: httpStatus(reason),
    head: flat(denialHeaders(reason, settings.reasonHeader, requestId), body),
    body,
  };
}

/** A plain-text answer of the edge itself (an unknown denial page, an internal error). */
export function textAnswer(status: number, body: string): HttpAnswer {
  return { status, head: flat([["content-type", "text/plain"]], body), body };
}

function flat(headers: HeaderList, body: string): string[] {
  const head: string[] = [];
  for (const [name, value] of headers) head.push(name, value);
  head.push("content-length", String(Buffer.byteLength(body)));
  return head;
}

/** Nothing in its answer depends on the request: the only kind worth keeping. */
function isPlainAllow(decision: Allow): boolean {
  return decision.wouldDeny === undefined && decision.revocation?.status !== "unchecked";
}
