import type { WireCheckRequest, WireCheckResponse } from "../../src/envoy/wire.js";

/**
 * The one CheckRequest builder of the tests, the bench and scripts/demo-check.ts: a request as Envoy fills
 * it, in the field names of the proto. It is both what a gRPC client serializes (ext_authz_client.ts) and
 * what `toCheckInput` reads when a test or bench skips the wire.
 */
export type CheckRequestObject = WireCheckRequest;

/** Envoy's encoding of `source.certificate`: the PEM, percent-encoded. */
export function envoyCertificate(pem: string): string {
  return encodeURIComponent(pem);
}

export interface RequestSpec {
  readonly method?: string;
  /** Envoy's request id and the `x-request-id` header (default "req-1"). */
  readonly requestId?: string;
  readonly path: string;
  readonly certPem?: string;
  readonly rawCertificate?: string;
  readonly headers?: Record<string, string>;
  readonly contextExtensions?: Record<string, string>;
  readonly rawHeaders?: boolean;
  /** Envoy's `source.address` (default 127.0.0.1) and `source.principal`. */
  readonly sourceAddress?: string;
  readonly principal?: string;
  /** Envoy's `tls_session.sni`. */
  readonly sni?: string;
}

/** A CheckRequest as Envoy fills it (headers map including pseudo-headers; or header_map when raw). */
export function checkRequest(spec: RequestSpec): CheckRequestObject {
  const method = spec.method ?? "GET";
  const id = spec.requestId ?? "req-1";
  const headers: Record<string, string> = {
    ":method": method,
    ":path": spec.path,
    ":authority": "api.bank.example",
    "x-request-id": id,
    ...spec.headers,
  };
  const certificate =
    spec.rawCertificate ?? (spec.certPem === undefined ? undefined : envoyCertificate(spec.certPem));
  const http = spec.rawHeaders
    ? {
        id,
        method,
        path: spec.path,
        host: "api.bank.example",
        header_map: {
          headers: Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
        },
      }
    : { id, method, path: spec.path, host: "api.bank.example", headers };
  return {
    attributes: {
      source: {
        address: { socket_address: { address: spec.sourceAddress ?? "127.0.0.1", port_value: 50000 } },
        ...(spec.principal === undefined ? {} : { principal: spec.principal }),
        ...(certificate === undefined ? {} : { certificate }),
      },
      request: { http },
      context_extensions: spec.contextExtensions ?? {},
      ...(spec.sni === undefined ? {} : { tls_session: { sni: spec.sni } }),
    },
  };
}

export function headerValue(response: WireCheckResponse, name: string): string | undefined {
  const headers = response.ok_response?.headers ?? response.denied_response?.headers ?? [];
  return headers.find((option) => option.header.key === name)?.header.value;
}
