import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { LOADER_OPTIONS } from "../src/envoy/protos.js";
import type { Sample } from "./h2load.js";

type Check = (request: unknown, cb: (error: grpc.ServiceError | null) => void) => void;

/** Closed-loop load: `concurrency` outstanding Checks at all times, spread over a few HTTP/2 channels. */
export async function runLoad(
  address: string,
  requests: readonly unknown[],
  concurrency: number,
  durationMs: number,
): Promise<Sample> {
  const definition = protoLoader.loadSync("envoy/service/auth/v3/external_auth.proto", LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: grpc.ServiceClientConstructor } } } };
  };
  const channels = Math.min(4, concurrency);
  const clients = Array.from(
    { length: channels },
    (_, i) =>
      new pkg.envoy.service.auth.v3.Authorization(address, grpc.credentials.createInsecure(), {
        "grpc.channel_id": i,
      } as grpc.ChannelOptions),
  );
  const checks = clients.map((client) => (client as unknown as { Check: Check }).Check.bind(client));
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const deadline = performance.now() + durationMs;
  const worker = async (index: number): Promise<void> => {
    const check = checks[index % checks.length]!;
    while (performance.now() < deadline) {
      const request = requests[sent++ % requests.length];
      const started = process.hrtime.bigint();
      await new Promise<void>((resolve) =>
        check(request, (error) => {
          if (error !== null) errors++;
          latencies.push(Number(process.hrtime.bigint() - started) / 1000);
          resolve();
        }),
      );
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const elapsed = performance.now() - started;
  for (const client of clients) client.close();
  latencies.sort((a, b) => a - b);
  return { rps: Math.round((latencies.length / elapsed) * 1000), errors, latenciesUs: latencies };
}
