import { denialHeaders, errorBody, httpStatus } from "../decision/berlin_group.js";
import type { Allow, Decision, Deny } from "../decision/decision.js";
import type { HeaderList } from "../decision/identity.js";
import type { ResponseSettings } from "../decision/response_settings.js";
import { upstreamHeaders } from "../decision/upstream_headers.js";
import type { CheckInput } from "../foundation/check_input.js";
import type { WireCheckResponse, WireHeaderValueOption, WireStruct, WireStructValue } from "./wire.js";

const GRPC_OK = 0;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAVAILABLE = 14;
const GRPC_UNAUTHENTICATED = 16;
const NOT_SET = { value: false } as const;

/** Decision -> CheckResponse. A deny is gRPC OK with a non-zero status and a denied_response, never an RPC error. */
export function toCheckResponse(
  decision: Decision,
  input: CheckInput,
  settings: ResponseSettings,
): WireCheckResponse {
  return decision.allowed
    ? allowResponse(decision, input, settings)
    : denyResponse(decision, input, settings);
}

function allowResponse(decision: Allow, input: CheckInput, settings: ResponseSettings): WireCheckResponse {
  const upstream = upstreamHeaders(decision, settings.headerPrefix);
  const headers = upstream.map(([key, value]) => overwrite(key, value));
  return {
    status: { code: GRPC_OK },
    ok_response: { headers, headers_to_remove: headersToRemove(input, settings, upstream) },
    dynamic_metadata: metadata(decision, "allow"),
  };
}

function denyResponse(decision: Deny, input: CheckInput, settings: ResponseSettings): WireCheckResponse {
  const status = httpStatus(decision.reason);
  return {
    status: { code: grpcCode(status), message: decision.reason },
    denied_response: {
      status: { code: status },
      headers: denialHeaders(decision.reason, settings.reasonHeader, input.requestId).map(([key, value]) =>
        overwrite(key, value),
      ),
      body: errorBody(decision.reason),
    },
    dynamic_metadata: metadata(decision, "deny"),
  };
}

/** Envoy answers with denied_response either way; the gRPC code only informs its stats and logs. */
function grpcCode(status: number): number {
  if (status === 401) return GRPC_UNAUTHENTICATED;
  return status === 503 ? GRPC_UNAVAILABLE : GRPC_PERMISSION_DENIED;
}

function headersToRemove(input: CheckInput, settings: ResponseSettings, set: HeaderList): string[] {
  const spoofed = spoofedHeaders(input, settings.headerPrefix, set);
  const forwarded = settings.forwardedHeaders ?? [];
  return forwarded.length === 0 ? spoofed : [...new Set([...spoofed, ...forwarded])];
}

/**
 * Client-sent headers under our prefix that we do not overwrite. The ones we set are replaced (append
 * false); the rest are removed, so the upstream sees only identity the gateway vouches for, whatever
 * order Envoy applies set and remove in.
 */
export function spoofedHeaders(input: CheckInput, prefix: string, set: HeaderList): string[] {
  const remove: string[] = [];
  for (const name of input.headers.keys()) {
    if (name.startsWith(prefix) && !set.some(([key]) => key === name)) remove.push(name);
  }
  return remove;
}

function overwrite(key: string, value: string): WireHeaderValueOption {
  return { header: { key, value }, append: NOT_SET };
}

/** For Envoy's access log: %DYNAMIC_METADATA(envoy.filters.http.ext_authz:tpp_id)%. */
function metadata(decision: Decision, verdict: "allow" | "deny"): WireStruct {
  const fields: Record<string, WireStructValue> = { decision: { stringValue: verdict } };
  if (!decision.allowed) fields.reason = { stringValue: decision.reason };
  else if (decision.wouldDeny !== undefined) fields.dry_run_deny = { stringValue: decision.wouldDeny.reason };
  if (decision.tpp !== undefined) {
    fields.tpp_id = { stringValue: decision.tpp.organizationIdentifier };
    fields.tpp_roles = { stringValue: decision.tpp.roles.join(",") };
    fields.cert_sha256 = { stringValue: decision.tpp.certSha256 };
  } else if (!decision.allowed && decision.certificate !== undefined) {
    // A refused certificate has no TPP identity, but Envoy's access log can still name it.
    fields.cert_sha256 = { stringValue: decision.certificate.sha256 };
  }
  return { fields };
}
