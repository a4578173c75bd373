/**
 * The ext_authz messages as the edge sees them (field names as in the proto). Requests are protobufjs
 * message objects: an unset string is "", an unset message is null, an unset map is empty; tests may also
 * pass plain objects with fields left out. So every field may be missing, empty or null, and "" means
 * "not sent". Responses are written in @grpc/proto-loader's shape. Only what the service reads or writes
 * is described; these types never leave src/envoy/.
 */
export interface WireSocketAddress {
  address?: string;
  port_value?: number;
}

export interface WireAddress {
  socket_address?: WireSocketAddress | null;
}

export interface WirePeer {
  address?: WireAddress | null;
  principal?: string;
  certificate?: string;
}

export interface WireHeaderValue {
  key?: string;
  value?: string;
  raw_value?: Uint8Array;
}

export interface WireHttpRequest {
  id?: string;
  method?: string;
  headers?: Record<string, string>;
  header_map?: { headers?: WireHeaderValue[] } | null;
  path?: string;
  host?: string;
  scheme?: string;
}

export interface WireAttributeContext {
  source?: WirePeer | null;
  request?: { http?: WireHttpRequest | null } | null;
  context_extensions?: Record<string, string>;
  tls_session?: { sni?: string } | null;
}

export interface WireCheckRequest {
  attributes?: WireAttributeContext | null;
}

export interface WireHeaderValueOption {
  header: { key: string; value: string };
  append?: { value: boolean };
}

/** google.protobuf.Value: protobufjs ships the well-known types with camelCase field names. */
export type WireStructValue =
  | { stringValue: string }
  | { numberValue: number }
  | { boolValue: boolean }
  | { listValue: { values: WireStructValue[] } }
  | { structValue: WireStruct };

export interface WireStruct {
  fields: Record<string, WireStructValue>;
}

export interface WireCheckResponse {
  status: { code: number; message?: string };
  denied_response?: {
    status: { code: number };
    headers: WireHeaderValueOption[];
    body: string;
  };
  ok_response?: {
    headers: WireHeaderValueOption[];
    headers_to_remove: string[];
  };
  dynamic_metadata?: WireStruct;
}
