import { createServer, type Server } from "node:net";

/**
 * Loopback ports for tests, bench and scripts. A server the test owns listens on port 0 and is asked which
 * port it got (no race); only a program that cannot be told to pick one itself gets a `freePort`.
 */

/** Listens on an ephemeral loopback port and returns it. Any net.Server: http, https, http2, raw TCP. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no TCP address");
  return address.port;
}

/**
 * A loopback port that was free a moment ago: for a child process or nginx that must be given its port, or
 * for "nothing listens here". Another process may take it in between, which is why servers of the test's
 * own use `listenOnLoopback` instead.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
