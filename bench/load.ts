import type { CheckRequestObject } from "../test/support/check_request.js";
import { checkClient } from "../test/support/ext_authz_client.js";
import type { Sample } from "./h2load.js";

/** Closed-loop load: `concurrency` outstanding Checks at all times, spread over a few HTTP/2 channels. */
export async function runLoad(
  address: string,
  requests: readonly CheckRequestObject[],
  concurrency: number,
  durationMs: number,
): Promise<Sample> {
  const channels = Math.min(4, concurrency);
  // A distinct channel id per client: grpc-js would otherwise share one subchannel (one connection).
  const clients = Array.from({ length: channels }, (_, i) => checkClient(address, { "grpc.channel_id": i }));
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const deadline = performance.now() + durationMs;
  const worker = async (index: number): Promise<void> => {
    const client = clients[index % clients.length]!;
    while (performance.now() < deadline) {
      const request = requests[sent++ % requests.length]!;
      const started = process.hrtime.bigint();
      await client.check(request).catch(() => {
        errors++;
      });
      latencies.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const elapsed = performance.now() - started;
  for (const client of clients) client.close();
  latencies.sort((a, b) => a - b);
  return { rps: Math.round((latencies.length / elapsed) * 1000), errors, latenciesUs: latencies };
}
