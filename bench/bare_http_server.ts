/**
 * The HTTP mode's ceiling: a node:http server that answers every request with 200 and a fixed list of
 * identity headers (the ones the service answers the bench's TPP with), doing nothing else. Arguments:
 * the port, and the headers as a JSON list of [name, value] pairs.
 */
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? "0");
const pairs = JSON.parse(process.argv[3] ?? "[]") as [string, string][];
const headers = [...pairs.flat(), "content-length", "0"];
const server = createServer((_request, response) => {
  response.writeHead(200, headers);
  response.end();
});
server.listen(port, "127.0.0.1", () => process.stdout.write(`listening ${port}\n`));
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
