import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { LOADER_OPTIONS } from "../../src/envoy/protos.js";
import type { WireCheckResponse } from "../../src/envoy/wire.js";
import type { CheckRequestObject } from "./gatekeeper.js";

export interface CheckClient {
  check(request: CheckRequestObject): Promise<WireCheckResponse>;
  close(): void;
}

/** A real grpc-js ext_authz client on loopback, using the project's protos. */
export function checkClient(port: number): CheckClient {
  const definition = protoLoader.loadSync("envoy/service/auth/v3/external_auth.proto", LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: grpc.ServiceClientConstructor } } } };
  };
  const client = new pkg.envoy.service.auth.v3.Authorization(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
  const call = client as unknown as {
    Check: (r: CheckRequestObject, cb: (e: grpc.ServiceError | null, v: WireCheckResponse) => void) => void;
  };
  return {
    check: (request) =>
      new Promise((resolve, reject) =>
        call.Check(request, (error, value) => (error === null ? resolve(value) : reject(error))),
      ),
    close: () => client.close(),
  };
}
