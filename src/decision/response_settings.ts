/** How a decision is written for the upstream, by every edge (Envoy's CheckResponse, the HTTP mode). */
export interface ResponseSettings {
  /** Prefix of the identity headers, lower-case, e.g. `x-tpp-`. */
  readonly headerPrefix: string;
  /** Header carrying the machine-readable reason on a deny, e.g. `x-authz-reason`. */
  readonly reasonHeader: string;
  /**
   * Forwarded-certificate and SNI headers (x-forwarded-client-cert, client-cert, ...): always in
   * `headers_to_remove`, present or not, so the upstream never sees one a client typed.
   */
  readonly forwardedHeaders?: readonly string[];
}
