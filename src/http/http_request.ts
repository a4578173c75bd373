import type { IncomingHttpHeaders } from "node:http";
import { requestIdOr } from "../decision/request_id.js";
import type { CheckInput, RequestHeaders } from "../foundation/check_input.js";
import { deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";

/** What the HTTP edge needs from node's IncomingMessage; a plain object in tests. */
export interface HttpAuthRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The socket peer: the proxy that asks, checked against `trustedHops` like Envoy's `source.address`. */
  readonly remoteAddress: string | undefined;
}

/**
 * Where proxies put the request they want judged, in the order they are read:
 * - `X-Original-Method` + `X-Original-URI` (+ `X-Original-Host`): nginx `auth_request` (proxy_set_header);
 * - `X-Forwarded-Method` + `X-Forwarded-Uri` (+ `X-Forwarded-Host`): Traefik `forwardAuth`;
 * - the request line and `Host` themselves: Envoy's `http_service`, which sends the original request.
 * A proxy overwrites the pair it sets but passes the other pair through from the client, so when both
 * pairs are present they must agree: otherwise one of them was typed by the client, and the service will
 * not guess which (REQUEST_INVALID). The same holds for the two host headers.
 *
 * The host matters to the forwarded-certificate signature (RFC 9421 `@authority`): it is the original
 * request's authority, which the auth request's own `Host` (the gatekeeper's upstream name) is not.
 */
const CONVENTIONS = [
  {
    name: "X-Original-Method/X-Original-URI",
    method: "x-original-method",
    uri: "x-original-uri",
    host: "x-original-host",
  },
  {
    name: "X-Forwarded-Method/X-Forwarded-Uri",
    method: "x-forwarded-method",
    uri: "x-forwarded-uri",
    host: "x-forwarded-host",
  },
] as const;

/** RFC 9110 token; no real method is longer. */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;

const NO_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({});

interface RequestLine {
  readonly method: string;
  readonly uri: string;
  /** The convention's host header, when the proxy sent it. */
  readonly host: string | undefined;
}

/** HTTP authorization request -> CheckInput, or REQUEST_INVALID when the request to judge is unclear. */
export function toCheckInput(request: HttpAuthRequest): Result<CheckInput> {
  const headers = new NodeHeaders(request.headers);
  const line = requestLine(request, headers);
  if (!line.ok) return line;
  return ok({
    requestId: requestIdOr(headers.get("x-request-id")),
    method: line.value.method,
    rawPath: line.value.uri,
    host: line.value.host ?? headers.get("x-forwarded-host") ?? headers.get("host") ?? "",
    headers,
    // Plain HTTP: no TLS here. The certificate and the SNI come from the hop's forwarded headers, which
    // the core honours only when this address is a trusted hop.
    peer: { address: request.remoteAddress, principal: undefined, certificate: undefined },
    sni: undefined,
    contextExtensions: NO_EXTENSIONS,
  });
}

function requestLine(request: HttpAuthRequest, headers: RequestHeaders): Result<RequestLine> {
  let chosen: RequestLine | undefined;
  for (const convention of CONVENTIONS) {
    const method = headers.get(convention.method);
    const uri = headers.get(convention.uri);
    if (method === undefined && uri === undefined) continue;
    if (!method || !uri) return invalid(`${convention.name}: one of the pair is missing`);
    const host = headers.get(convention.host) || undefined;
    if (chosen === undefined) chosen = { method, uri, host };
    else if (!sameRequest(chosen, { method, uri, host }))
      return invalid("X-Original-* and X-Forwarded-* name different requests");
  }
  const line = chosen ?? { method: request.method ?? "", uri: request.url ?? "", host: undefined };
  if (!METHOD.test(line.method)) return invalid("the method is not an HTTP token");
  if (line.uri === "") return invalid("no request URI");
  return ok(line);
}

/** A convention that names no host leaves the other one standing; two hosts must be the same host. */
function sameRequest(a: RequestLine, b: RequestLine): boolean {
  const sameHost =
    a.host === undefined || b.host === undefined || a.host.toLowerCase() === b.host.toLowerCase();
  return a.method === b.method && a.uri === b.uri && sameHost;
}

/**
 * Node's parsed headers, read where they are: node builds that object for every request anyway (its
 * server reads Host and Expect from it), so copying it into a Map was a second pass over every header.
 * Node lower-cases names and joins repeated headers with ", " (set-cookie comes as an array, joined
 * here). The core's parsers accept that joining: XFCC elements and RFC 9440 list members allow the
 * space, and a plain certificate header with two values is refused rather than split. Own properties
 * only: the object inherits from Object.prototype, whose `constructor` is no header.
 */
class NodeHeaders implements RequestHeaders {
  constructor(private readonly incoming: IncomingHttpHeaders) {}

  get(name: string): string | undefined {
    if (!Object.hasOwn(this.incoming, name)) return undefined;
    const value = this.incoming[name];
    return value === undefined || typeof value === "string" ? value : value.join(", ");
  }

  keys(): Iterable<string> {
    return Object.keys(this.incoming);
  }
}

function invalid(detail: string): Result<never> {
  return fail(deny("REQUEST_INVALID", detail));
}
