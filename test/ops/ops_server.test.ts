import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { OpsServer } from "../../src/ops/ops_server.js";

/** Liveness and readiness are separate questions: a pod that is not ready must not be killed for it. */

const servers: OpsServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(ready: () => boolean): Promise<(path: string) => Promise<number>> {
  const server = new OpsServer({ registry: new Registry(), ready });
  servers.push(server);
  const port = await server.listen("127.0.0.1", 0);
  return async (path) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
}

describe("the ops listener's probes", () => {
  it("answers /healthz 200 while /readyz says 503 (not ready: lists unverified, or draining)", async () => {
    let ready = false;
    const status = await serve(() => ready);
    expect([await status("/healthz"), await status("/readyz")]).toEqual([200, 503]);
    ready = true;
    expect([await status("/healthz"), await status("/readyz")]).toEqual([200, 200]);
  });
});
