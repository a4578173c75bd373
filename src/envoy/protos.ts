import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { PROJECT_ROOT } from "../project_root.js";
import type { WireCheckResponse } from "./wire.js";

export const PROTO_DIR = join(PROJECT_ROOT, "proto");

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export interface LoadedProtos {
  readonly authorization: grpc.ServiceDefinition;
  readonly health: grpc.ServiceDefinition;
}

export type EncodeCheckResponse = (response: WireCheckResponse) => Buffer;

/** Check whose handler answers with bytes it encoded itself (so it can reuse them), and that encoder. */
export interface PreEncodedAuthorization {
  readonly service: grpc.ServiceDefinition;
  readonly encodeResponse: EncodeCheckResponse;
}

export function loadProtos(): LoadedProtos {
  const definition = protoLoader.loadSync(
    ["envoy/service/auth/v3/external_auth.proto", "grpc/health/v1/health.proto"],
    LOADER_OPTIONS,
  );
  const pkg = grpc.loadPackageDefinition(definition);
  return {
    authorization: serviceOf(pkg, "envoy.service.auth.v3.Authorization"),
    health: serviceOf(pkg, "grpc.health.v1.Health"),
  };
}

/**
 * The Authorization service with Check's response serializer replaced by a pass-through: the handler hands
 * grpc-js finished CheckResponse bytes, made with the proto's own serializer (`encodeResponse`).
 */
export function preEncodedAuthorization(authorization: grpc.ServiceDefinition): PreEncodedAuthorization {
  const check = authorization.Check;
  if (check === undefined) throw new Error("proto service Authorization has no Check method");
  const encodeResponse: EncodeCheckResponse = (response) => check.responseSerialize(response);
  const passThrough = (bytes: Buffer): Buffer => bytes;
  return {
    service: { ...authorization, Check: { ...check, responseSerialize: passThrough } },
    encodeResponse,
  };
}

function serviceOf(pkg: grpc.GrpcObject, fullName: string): grpc.ServiceDefinition {
  let node: unknown = pkg;
  for (const part of fullName.split(".")) {
    node = (node as Record<string, unknown>)[part];
  }
  const service = (node as { service?: grpc.ServiceDefinition } | undefined)?.service;
  if (service === undefined) throw new Error(`proto service ${fullName} not found`);
  return service;
}
