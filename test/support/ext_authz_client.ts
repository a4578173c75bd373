import * as grpc from "@grpc/grpc-js";
import { loadProtos } from "../../src/envoy/protos.js";
import type { WireCheckResponse } from "../../src/envoy/wire.js";
import type { CheckRequestObject } from "./check_request.js";

/**
 * The one ext_authz client of the tests, the bench and scripts/demo-check.ts: a grpc-js client that speaks
 * to the service as Envoy does, with the serializers of the project's protos (proto-loader's, which Envoy's
 * wire format round-trips through; the server's own request decoder is a different one on purpose, see
 * src/envoy/protos.ts).
 */

const CHECK_PATH = "/envoy.service.auth.v3.Authorization/Check";

const PROTOS = loadProtos();
const CHECK = methodOf(PROTOS.authorization, "Check");
const HEALTH_CHECK = methodOf(PROTOS.health, "Check");

/** A CheckRequest as the bytes Envoy would send. */
export function encodeCheckRequest(request: CheckRequestObject): Buffer {
  return CHECK.requestSerialize(request);
}

/** CheckResponse bytes as the object a client reads. */
export function decodeCheckResponse(bytes: Buffer): WireCheckResponse {
  return CHECK.responseDeserialize(bytes) as WireCheckResponse;
}

export interface CheckCallOptions {
  /** Milliseconds the call may take; no deadline when absent (the test's own timeout bounds it). */
  readonly timeoutMs?: number;
}

export interface CheckClient {
  check(request: CheckRequestObject, options?: CheckCallOptions): Promise<WireCheckResponse>;
  /** Sends raw protobuf bytes and returns the raw response bytes: no proto involved on this side. */
  checkBytes(request: Buffer, options?: CheckCallOptions): Promise<Buffer>;
  /** Resolves once the channel is connected: a server that is starting up is waited for. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

/** A client of the Authorization service at `target`: a loopback port, or "host:port". */
export function checkClient(target: number | string, channelOptions: grpc.ChannelOptions = {}): CheckClient {
  const address = typeof target === "number" ? `127.0.0.1:${target}` : target;
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), channelOptions);
  const unary = <Request, Response>(
    serialize: (value: Request) => Buffer,
    deserialize: (bytes: Buffer) => Response,
    request: Request,
    options: CheckCallOptions = {},
  ): Promise<Response> =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(
        CHECK_PATH,
        serialize,
        deserialize,
        request,
        options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs },
        (error, value) => (error === null && value !== undefined ? resolve(value) : reject(error)),
      ),
    );
  const bytes = (value: Buffer): Buffer => value;
  return {
    check: (request, options) => unary(encodeCheckRequest, decodeCheckResponse, request, options),
    checkBytes: (request, options) => unary(bytes, bytes, request, options),
    waitForReady: (timeoutMs) =>
      new Promise((resolve, reject) =>
        client.waitForReady(Date.now() + timeoutMs, (error) =>
          error === undefined || error === null ? resolve() : reject(error),
        ),
      ),
    close: () => client.close(),
  };
}

/** grpc.health.v1 status of `service` on the same server, as Envoy's gRPC health check asks it (1 = SERVING). */
export function healthStatus(port: number, service: string): Promise<number> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<number>((resolve, reject) =>
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (request: { service: string }) => HEALTH_CHECK.requestSerialize(request),
      (bytes: Buffer) => HEALTH_CHECK.responseDeserialize(bytes) as { status: number },
      { service },
      (error, value) => (error === null && value !== undefined ? resolve(value.status) : reject(error)),
    ),
  ).finally(() => client.close());
}

function methodOf(service: grpc.ServiceDefinition, name: string): grpc.MethodDefinition<object, object> {
  const method = service[name];
  if (method === undefined) throw new Error(`proto method ${name} not found`);
  return method;
}
