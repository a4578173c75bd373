import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface OpsServerOptions {
  readonly registry: Registry;
  /** Config, policy and trust loaded, and not draining. */
  readonly ready: () => boolean;
}

/**
 * The operator's port: /metrics (Prometheus), /healthz (the process answers), /readyz (it should get
 * traffic). Separate from the ext_authz port so a scrape can never be mistaken for a Check.
 */
export class OpsServer {
  private readonly server: Server;

  constructor(private readonly options: OpsServerOptions) {
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? "").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD")
      return send(response, 405, "method not allowed\n");
    switch (path) {
      case "/metrics": {
        const body = await this.options.registry.metrics();
        response.setHeader("content-type", this.options.registry.contentType);
        return send(response, 200, body);
      }
      case "/healthz":
        return send(response, 200, "ok\n");
      case "/readyz":
        return this.options.ready() ? send(response, 200, "ready\n") : send(response, 503, "not ready\n");
      default:
        return send(response, 404, "not found\n");
    }
  }
}

function send(response: ServerResponse, status: number, body: string): void {
  response.statusCode = status;
  if (!response.hasHeader("content-type")) response.setHeader("content-type", "text/plain; charset=utf-8");
  response.end(body);
}
