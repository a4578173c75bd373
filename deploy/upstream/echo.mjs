// The `upstream` of the compose stack: stands in for the bank's API and answers every request with what
// it received, so a demo shows exactly which identity headers the gatekeeper set (x-tpp-*) and that a
// client-sent x-tpp-* header did not survive. GET /healthz is its own health check.
//
// HOST (default 0.0.0.0), PORT (default 8080; 0 picks a free port, printed on stdout).
import { createServer } from "node:http";

const host = process.env.HOST ?? "0.0.0.0";
const port = Number(process.env.PORT ?? "8080");

const server = createServer((request, response) => {
  if (request.method === "GET" && request.url === "/healthz") {
    response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    return;
  }
  // The body is drained, not echoed: the demo is about headers, and a bounded answer stays bounded.
  request.resume();
  request.on("end", () => {
    const body = JSON.stringify({ method: request.method, path: request.url, headers: request.headers });
    response.writeHead(200, { "content-type": "application/json" }).end(`${body}\n`);
  });
});

server.listen(port, host, () => {
  const bound = server.address();
  process.stdout.write(
    `upstream echo listening on ${host}:${typeof bound === "object" ? bound?.port : port}\n`,
  );
});

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
