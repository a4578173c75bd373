import { requestIdOr } from "../decision/request_id.js";
import type { CheckInput } from "../foundation/check_input.js";
import type { WireCheckRequest, WireHeaderValue, WireHttpRequest } from "./wire.js";

const NO_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * CheckRequest -> CheckInput: the only place that knows Envoy's field names. Pure; a missing field
 * becomes an empty value and the core decides what that means (e.g. no certificate -> CERT_MISSING).
 */
export function toCheckInput(request: WireCheckRequest): CheckInput {
  const attributes = request.attributes ?? {};
  const http = attributes.request?.http ?? {};
  const source = attributes.source ?? {};
  const headers = readHeaders(http);
  return {
    // The header is the TPP's id when Envoy preserves it (envoy.yaml: preserve_external_request_id);
    // http.id is Envoy's own, the same value when Envoy kept or made the header.
    requestId: requestIdOr(headers.get("x-request-id") || http.id),
    method: http.method || headers.get(":method") || "",
    rawPath: http.path || headers.get(":path") || "",
    host: http.host || headers.get(":authority") || "",
    headers,
    peer: {
      address: source.address?.socket_address?.address || undefined,
      principal: source.principal || undefined,
      certificate: source.certificate || undefined,
    },
    sni: attributes.tls_session?.sni || undefined,
    contextExtensions: attributes.context_extensions ?? NO_EXTENSIONS,
  };
}

/** Envoy sends either the `headers` map or, with `encode_raw_headers: true`, `header_map` with raw bytes. */
function readHeaders(http: WireHttpRequest): Map<string, string> {
  const raw = http.header_map?.headers;
  if (raw !== undefined && raw.length > 0) return fromHeaderMap(raw);
  const headers = new Map<string, string>();
  const map = http.headers;
  if (map !== undefined) {
    for (const key of Object.keys(map)) {
      const value = map[key];
      if (value !== undefined) headers.set(key.toLowerCase(), value);
    }
  }
  return headers;
}

function fromHeaderMap(raw: readonly WireHeaderValue[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (const entry of raw) {
    if (entry.key === undefined) continue;
    const name = entry.key.toLowerCase();
    const value =
      entry.raw_value !== undefined && entry.raw_value.length > 0
        ? Buffer.from(entry.raw_value).toString("latin1")
        : (entry.value ?? "");
    const previous = headers.get(name);
    // Same joining rule as Envoy's `headers` map, so both forms mean the same to the core.
    headers.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  return headers;
}
