/**
 * The ceiling: a grpc-js Check server on the same protos and server options that always allows, doing
 * nothing else. `npm run bench` drives it with the same client as the real service.
 */
import * as grpc from "@grpc/grpc-js";
import { loadProtos } from "../src/envoy/protos.js";
import { SERVER_OPTIONS } from "../src/envoy/server.js";

const port = Number(process.argv[2] ?? "0");
const server = new grpc.Server(SERVER_OPTIONS);
const allow = { status: { code: 0 }, ok_response: { headers: [], headers_to_remove: [] } };
server.addService(loadProtos().authorization, {
  Check: (_call: unknown, callback: grpc.sendUnaryData<typeof allow>) => callback(null, allow),
});
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
  if (error !== null) throw error;
  process.stdout.write(`listening ${bound}\n`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
