// Container health check of the gatekeeper (Dockerfile HEALTHCHECK, docker-compose.yml): asks the service's
// own grpc.health.v1.Health/Check on the ext_authz port, the same question Envoy's cluster health check
// asks. Exit 0 when it answers SERVING; 1 when it answers anything else, errors, or gives no answer in time
// (a draining service reports NOT_SERVING, so the container turns unhealthy as it shuts down).
//
// GATEKEEPER_HEALTH_ADDRESS: host:port to ask (default 127.0.0.1:9191, `listen.port` of the config).
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const SERVING = 1;
const DEADLINE_MS = 2_000;

const address = process.env.GATEKEEPER_HEALTH_ADDRESS ?? "127.0.0.1:9191";
const protoDir = fileURLToPath(new URL("../../proto/", import.meta.url));
const definition = protoLoader.loadSync("grpc/health/v1/health.proto", {
  includeDirs: [protoDir],
  enums: Number,
});
const Health = grpc.loadPackageDefinition(definition).grpc.health.v1.Health;
const client = new Health(address, grpc.credentials.createInsecure());

client.Check({ service: "" }, { deadline: Date.now() + DEADLINE_MS }, (error, response) => {
  client.close();
  if (error) {
    process.stderr.write(`unhealthy: ${address}: ${error.message}\n`);
    process.exit(1);
  }
  if (response.status !== SERVING) {
    process.stderr.write(`unhealthy: ${address} reports status ${response.status}\n`);
    process.exit(1);
  }
  process.exit(0);
});
