/**
 * The HTTP mode's ceiling: a node:http server that answers every request with 200 and a fixed list of
 * identity headers (the ones the service answers the bench's TPP with), doing nothing else. Arguments:
 * the port, and the headers as a JSON list of [name, value] pairs.
 */
import { createServer, type Server } from "node:http";
import { pathToFileURL } from "node:url";

/** Listens on 127.0.0.1:`port`; answers 200 with `pairs` and an empty body. */
export function serveBare(port: number, pairs: readonly (readonly [string, string])[]): Server {
  const headers = [...pairs.flat(), "content-length", "0"];
  const server = createServer((_request, response) => {
    response.writeHead(200, headers);
    response.end();
  });
  server.listen(port, "127.0.0.1");
  return server;
}

/** The bench's arguments: the port, then the headers as JSON. */
export function bareArguments(args: readonly string[]): { port: number; pairs: [string, string][] } {
  return { port: Number(args[0] ?? "0"), pairs: JSON.parse(args[1] ?? "[]") as [string, string][] };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { port, pairs } = bareArguments(process.argv.slice(2));
  const server = serveBare(port, pairs);
  process.on("SIGTERM", () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
