/**
 * The HTTP mode's ceiling: a node:http server that answers every request with 200 and a fixed list of
 * identity headers (the ones the service answers the bench's TPP with), doing nothing else. Arguments:
 * the port, the headers as a JSON list of [name, value] pairs, and optionally microseconds of CPU to
 * spend on each request before answering (the bench's calibration rows: what a fixed cost per request
 * does to the ratio at each level).
 */
import { createServer, type Server } from "node:http";
import { pathToFileURL } from "node:url";

/** Listens on 127.0.0.1:`port`; answers 200 with `pairs` and an empty body. */
export function serveBare(port: number, pairs: readonly (readonly [string, string])[], busyUs = 0): Server {
  const headers = [...pairs.flat(), "content-length", "0"];
  const server = createServer((_request, response) => {
    if (busyUs > 0) busyWait(busyUs);
    response.writeHead(200, headers);
    response.end();
  });
  server.listen(port, "127.0.0.1");
  return server;
}

/** Spins for `us` microseconds: CPU spent as the service's own work would be, without its memory traffic. */
function busyWait(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) {
    // spinning
  }
}

/** The bench's arguments: the port, the headers as JSON, then the microseconds of CPU per request. */
export function bareArguments(args: readonly string[]): {
  port: number;
  pairs: [string, string][];
  busyUs: number;
} {
  return {
    port: Number(args[0] ?? "0"),
    pairs: JSON.parse(args[1] ?? "[]") as [string, string][],
    busyUs: Number(args[2] ?? "0"),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { port, pairs, busyUs } = bareArguments(process.argv.slice(2));
  const server = serveBare(port, pairs, busyUs);
  process.on("SIGTERM", () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
