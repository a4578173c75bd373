/**
 * The shapes @grpc/proto-loader produces for the ext_authz messages (keepCase, defaults: false, so every
 * field may be missing). Only what the service reads or writes is described; these types never leave
 * src/envoy/.
 */
export interface WireSocketAddress {
  address?: string;
  port_value?: number;
}

export interface WireAddress {
  socket_address?: WireSocketAddress;
}

export interface WirePeer {
  address?: WireAddress;
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
  header_map?: { headers?: WireHeaderValue[] };
  path?: string;
  host?: string;
  scheme?: string;
}

export interface WireAttributeContext {
  source?: WirePeer;
  request?: { http?: WireHttpRequest };
  context_extensions?: Record<string, string>;
  tls_session?: { sni?: string };
}

export interface WireCheckRequest {
  attributes?: WireAttributeContext;
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
