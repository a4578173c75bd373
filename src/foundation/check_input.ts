/**
 * The request as the core sees it: plain data, no gRPC or HTTP types. Each edge (Envoy gRPC, HTTP mode)
 * translates its wire format into this once.
 */
export interface CheckInput {
  /** The TPP's X-Request-ID (or the proxy's request id); the edges make one when both are absent. */
  readonly requestId: string;
  readonly method: string;
  /** Exactly what the proxy saw, query string included; the policy step makes it safe. */
  readonly rawPath: string;
  readonly host: string;
  readonly headers: RequestHeaders;
  readonly peer: PeerInput;
  /** TLS SNI of the downstream connection, when known. */
  readonly sni: string | undefined;
  /** Per-route settings from Envoy's `context_extensions`. */
  readonly contextExtensions: Readonly<Record<string, string>>;
}

export interface PeerInput {
  /** IP address of the hop that called the proxy (Envoy's `source.address`). */
  readonly address: string | undefined;
  /** Envoy's `source.principal` (URI SAN, DNS SAN or subject of the peer certificate). */
  readonly principal: string | undefined;
  /** Envoy's `source.certificate`: the leaf as percent-encoded PEM, or undefined without mTLS. */
  readonly certificate: string | undefined;
}

/**
 * The request's headers by lower-case name, repeated headers joined with "," as Envoy joins them (", "
 * from node's HTTP parser). A Map is one; the HTTP edge reads node's parsed headers in place instead of
 * copying them into one per request.
 */
export interface RequestHeaders {
  get(name: string): string | undefined;
  /** Every header name, lower-case. */
  keys(): Iterable<string>;
}
