import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { requestIdOr } from "../decision/request_id.js";
import type { CheckInput } from "../foundation/check_input.js";
import { type DenyReason, REASONS } from "../foundation/reasons.js";
import { andThen, valueNow } from "../foundation/settled.js";
import { TurnBatch } from "../foundation/turn_batch.js";
import type { Logger } from "../ops/log.js";
import type { Gatekeeper } from "../pipeline/gatekeeper.js";
import { denialAnswer, type HttpAnswer, HttpAnswers, textAnswer } from "./http_answer.js";
import { toCheckInput } from "./http_request.js";

/**
 * Renders the answer for a reason the service already gave, without deciding again. nginx's auth_request
 * keeps only the status of a denial, never its body; the shipped nginx config sends a denied request here
 * with the reason from the header (`error_page 401 403 500 = @gatekeeper_denied`), so the TPP gets the
 * body while the decision is logged and counted once. It can only ever answer a denial.
 */
export const DENIAL_PATH = "/_gatekeeper/denial/";

/**
 * Requests of a light turn answered where they arrive (foundation/turn_batch.ts). An HTTP answer costs
 * a fraction of a gRPC one, so a few connections' worth are done before a batch would even start: with 4
 * connections answering them at once beats batching them, from 16 on batching wins (bench/results.md,
 * "Design measurements").
 */
const INLINE_UP_TO = 4;

/** An authorization request has no body worth waiting for; a client that trickles one is cut off. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface HttpServerOptions {
  readonly gatekeeper: Gatekeeper;
  readonly logger: Logger;
}

/**
 * The HTTP authorization edge (nginx auth_request, Traefik forwardAuth, Envoy http_service). Like the gRPC
 * edge it only translates: one request -> CheckInput -> gatekeeper.check -> one answer. The request body is
 * never read; header size is bounded by node's default (16 KiB); bad input gets a 4xx, never a 5xx.
 */
export class HttpAuthorizationServer {
  private readonly server: Server;
  private readonly answers = new HttpAnswers();
  /** A turn's requests are handled back to back (foundation/turn_batch.ts). */
  private readonly batch = new TurnBatch<IncomingMessage, ServerResponse, HttpAnswer>(
    {
      decide: (request, response) => this.decide(request, response),
      deliver: send,
      failed: (request, response, error) => this.failed(response, error, requestIdOf(request)),
    },
    INLINE_UP_TO,
  );

  constructor(private readonly options: HttpServerOptions) {
    this.server = createServer(
      { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS },
      (request, response) => this.batch.add(request, response),
    );
  }

  /** Binds and starts; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting, lets in-flight checks answer (up to graceMs), then closes every connection. */
  stop(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.closeAllConnections(), graceMs);
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  /** The answer when it is ready now; a Check that has to wait answers `response` itself. */
  private decide(request: IncomingMessage, response: ServerResponse): HttpAnswer | undefined {
    const url = request.url ?? "";
    if (url.startsWith(DENIAL_PATH)) {
      const reason = url.slice(DENIAL_PATH.length).split("?")[0] ?? "";
      return this.renderDenial(reason, request);
    }
    const input = toCheckInput({
      method: request.method,
      url,
      headers: request.headers,
      remoteAddress: request.socket.remoteAddress,
    });
    if (!input.ok) {
      // The proxy did not say which request to judge: its configuration, not a TPP, is at fault.
      const unread = unreadable(request);
      const refused = this.options.gatekeeper.refuse(unread, input.error);
      return this.answers.answer(refused.decision, refused.responses, unread.requestId);
    }
    return valueNow(
      () =>
        andThen(this.options.gatekeeper.check(input.value), (outcome) =>
          this.answers.answer(outcome.decision, outcome.responses, input.value.requestId),
        ),
      (answer) => send(response, answer),
      (error: unknown) => this.failed(response, error, input.value.requestId),
    );
  }

  /** A bug, not a bad request: 500 makes nginx, Traefik and Envoy deny (fail closed), and it is logged. */
  private failed(response: ServerResponse, error: unknown, reqId: string): void {
    this.options.logger.error({ err: error, reqId }, "check failed");
    send(response, textAnswer(500, "internal error\n"));
  }

  private renderDenial(reason: string, request: IncomingMessage): HttpAnswer {
    if (!isReason(reason)) return textAnswer(404, "unknown reason\n");
    return denialAnswer(reason, this.options.gatekeeper.current().responses, requestIdOf(request));
  }
}

function isReason(name: string): name is DenyReason {
  return Object.hasOwn(REASONS, name);
}

function send(response: ServerResponse, answer: HttpAnswer): void {
  if (response.destroyed) return;
  // Only after a bug in the middle of an answer: a second head cannot follow, the connection goes.
  if (response.headersSent) {
    response.destroy();
    return;
  }
  // writeHead with the ready list: no per-header setHeader bookkeeping for an answer that never changes.
  response.writeHead(answer.status, answer.head as string[]);
  response.end(answer.body);
}

/** The proxy's X-Request-ID, or a fresh one when it sent none or an empty one. */
function requestIdOf(request: IncomingMessage): string {
  return requestIdOr(singleHeader(request.headers["x-request-id"]));
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * What can be said of a request whose method or URI could not be read: who sent it, its request id (made
 * when absent) and the authorization request's own method, so no log line carries an empty one.
 */
function unreadable(request: IncomingMessage): CheckInput {
  return {
    requestId: requestIdOf(request),
    method: request.method ?? "-",
    rawPath: "",
    host: "",
    headers: new Map(),
    peer: { address: request.socket.remoteAddress, principal: undefined, certificate: undefined },
    sni: undefined,
    contextExtensions: {},
  };
}
