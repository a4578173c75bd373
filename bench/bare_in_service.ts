/**
 * The bare node:http server of bare_http_server.ts, in a process that also runs the service (loaded from
 * the given config and warmed by the bench through its own HTTP port): the same answer with none of the
 * service's work, so what it loses to the standalone bare server is what merely sharing a process with
 * the service costs node:http (a larger heap, more compiled code, the service's timers). Arguments: the
 * config file, then the bare server's port and headers as for bare_http_server.ts.
 */
import "reflect-metadata";
import { startService } from "../src/service.js";
import { bareArguments, serveBare } from "./bare_http_server.js";

const [configFile, ...rest] = process.argv.slice(2);
const service = await startService({ configFile: configFile ?? "", watchFiles: false });
const { port, pairs } = bareArguments(rest);
const server = serveBare(port, pairs);
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void service.stop().then(() => process.exit(0)));
});
