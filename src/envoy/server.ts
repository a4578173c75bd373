import * as grpc from "@grpc/grpc-js";
import { andThen, valueNow } from "../foundation/settled.js";
import { TurnBatch } from "../foundation/turn_batch.js";
import type { Logger } from "../ops/log.js";
import type { Gatekeeper } from "../pipeline/gatekeeper.js";
import { toCheckInput } from "./check_request.js";
import { EncodedResponses } from "./encoded_responses.js";
import { loadProtos, servedAuthorization } from "./protos.js";
import type { WireCheckRequest } from "./wire.js";

type CheckCall = grpc.ServerUnaryCall<WireCheckRequest, Buffer>;

const SERVING = 1;
const NOT_SERVING = 2;
const SERVICE_UNKNOWN = 3;
const AUTHORIZATION_SERVICE = "envoy.service.auth.v3.Authorization";

/**
 * grpc-js server options. Channelz (per-call bookkeeping for a debugging service this server does not
 * offer) is off. The bench's bare server uses the same options, so the ceiling is measured alike.
 */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  "grpc.max_receive_message_length": 4 * 1024 * 1024,
  "grpc.enable_channelz": 0,
};

export interface ServerOptions {
  readonly gatekeeper: Gatekeeper;
  readonly logger: Logger;
}

/** The gRPC edge: ext_authz Check and grpc.health.v1. Knows the wire, delegates every decision. */
export class AuthorizationServer {
  private readonly server = new grpc.Server(SERVER_OPTIONS);
  private serving = true;
  private readonly watchers = new Set<grpc.ServerWritableStream<{ service?: string }, { status: number }>>();

  private readonly responses: EncodedResponses;

  constructor(private readonly options: ServerOptions) {
    const protos = loadProtos();
    const authorization = servedAuthorization(protos.authorization);
    this.responses = new EncodedResponses(authorization.encodeResponse);
    this.server.addService(authorization.service, { Check: this.check });
    this.server.addService(protos.health, { Check: this.healthCheck, Watch: this.healthWatch });
  }

  /** Binds and starts; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error === null ? resolve(bound) : reject(error),
      );
    });
  }

  /** Reports NOT_SERVING, lets in-flight Checks finish (up to graceMs), then closes. */
  async stop(graceMs: number): Promise<void> {
    this.setServing(false);
    for (const watcher of this.watchers) watcher.end();
    this.watchers.clear();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  setServing(serving: boolean): void {
    this.serving = serving;
    for (const watcher of this.watchers)
      watcher.write({ status: this.healthStatus(watcher.request.service) });
  }

  /** A turn's Checks are run back to back (foundation/turn_batch.ts). */
  private readonly batch = new TurnBatch<CheckCall, grpc.sendUnaryData<Buffer>, Buffer>({
    decide: (call, callback) => this.decide(call, callback),
    deliver: (callback, bytes) => callback(null, bytes),
    failed: (_call, callback, error) => this.failed(callback, error, undefined),
  });

  private readonly check = (call: CheckCall, callback: grpc.sendUnaryData<Buffer>): void =>
    this.batch.add(call, callback);

  /** The encoded answer when it is ready now; a Check that has to wait answers `callback` itself. */
  private decide(call: CheckCall, callback: grpc.sendUnaryData<Buffer>): Buffer | undefined {
    const input = toCheckInput(call.request);
    return valueNow(
      // Encoding is part of the decision: an error there is answered like any other bug.
      () =>
        andThen(this.options.gatekeeper.check(input), ({ decision, responses }) =>
          this.responses.bytes(decision, input, responses),
        ),
      (bytes) => callback(null, bytes),
      (error: unknown) => this.failed(callback, error, input.requestId),
    );
  }

  /**
   * A bug, not a bad request: answer with an RPC error so Envoy applies its configured failure mode
   * (failure_mode_allow: false -> deny), and say so loudly.
   */
  private failed(callback: grpc.sendUnaryData<Buffer>, error: unknown, reqId: string | undefined): void {
    this.options.logger.error({ err: error, reqId }, "check failed");
    callback({ code: grpc.status.INTERNAL, details: "internal error" });
  }

  private readonly healthCheck = (
    call: grpc.ServerUnaryCall<{ service?: string }, { status: number }>,
    callback: grpc.sendUnaryData<{ status: number }>,
  ): void => {
    const status = this.healthStatus(call.request.service);
    if (status === SERVICE_UNKNOWN) {
      callback({ code: grpc.status.NOT_FOUND, details: "unknown service" });
      return;
    }
    callback(null, { status });
  };

  private readonly healthWatch = (
    call: grpc.ServerWritableStream<{ service?: string }, { status: number }>,
  ): void => {
    this.watchers.add(call);
    call.on("cancelled", () => this.watchers.delete(call));
    call.write({ status: this.healthStatus(call.request.service) });
  };

  private healthStatus(service: string | undefined): number {
    if (service !== undefined && service !== "" && service !== AUTHORIZATION_SERVICE) return SERVICE_UNKNOWN;
    return this.serving ? SERVING : NOT_SERVING;
  }
}
