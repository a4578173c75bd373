import { existsSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { PROJECT_ROOT } from "../foundation/project_root.js";
import type { WireCheckRequest, WireCheckResponse } from "./wire.js";

export const PROTO_DIR = join(PROJECT_ROOT, "proto");

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

const AUTHORIZATION_PROTO = "envoy/service/auth/v3/external_auth.proto";

export interface LoadedProtos {
  readonly authorization: grpc.ServiceDefinition;
  readonly health: grpc.ServiceDefinition;
}

export type EncodeCheckResponse = (response: WireCheckResponse) => Buffer;

/**
 * Check as the server registers it: requests arrive as decoded protobuf messages, and the handler answers
 * with bytes it encoded itself (so it can reuse them) with `encodeResponse`.
 */
export interface ServedAuthorization {
  readonly service: grpc.ServiceDefinition;
  readonly encodeResponse: EncodeCheckResponse;
}

export function loadProtos(): LoadedProtos {
  const definition = protoLoader.loadSync(
    [AUTHORIZATION_PROTO, "grpc/health/v1/health.proto"],
    LOADER_OPTIONS,
  );
  const pkg = grpc.loadPackageDefinition(definition);
  return {
    authorization: serviceOf(pkg, "envoy.service.auth.v3.Authorization"),
    health: serviceOf(pkg, "grpc.health.v1.Health"),
  };
}

/**
 * The Authorization service with Check's two serializers replaced:
 * - requests are decoded by protobufjs and handed over as its message objects, without proto-loader's
 *   `toObject` copy of the whole tree (every header, every attribute) that the edge would read only a few
 *   fields of, a large share of the request's decoding cost (bench/results.md, "Design measurements").
 *   The message objects follow proto3 defaults (an unset string is "", an unset message null), which
 *   `toCheckInput` treats as missing.
 * - responses pass through: the handler hands grpc-js finished CheckResponse bytes, made with the proto's
 *   own serializer (`encodeResponse`).
 */
export function servedAuthorization(authorization: grpc.ServiceDefinition): ServedAuthorization {
  const check = authorization.Check;
  if (check === undefined) throw new Error("proto service Authorization has no Check method");
  const requestType = checkRequestType();
  const decodeRequest = (bytes: Buffer): WireCheckRequest => requestType.decode(bytes) as WireCheckRequest;
  const encodeResponse: EncodeCheckResponse = (response) => check.responseSerialize(response);
  const passThrough = (bytes: Buffer): Buffer => bytes;
  return {
    service: {
      ...authorization,
      Check: { ...check, requestDeserialize: decodeRequest, responseSerialize: passThrough },
    },
    encodeResponse,
  };
}

/** CheckRequest as a protobufjs type, loaded from the same bundled protos as the service definition. */
function checkRequestType(): protobuf.Type {
  const root = new protobuf.Root();
  // proto-loader's includeDirs rule: an import is looked up in the bundled proto directory.
  root.resolvePath = (origin, target) => {
    const bundled = join(PROTO_DIR, target);
    return existsSync(bundled) ? bundled : protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(AUTHORIZATION_PROTO, { keepCase: true });
  return root.resolveAll().lookupType("envoy.service.auth.v3.CheckRequest");
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
