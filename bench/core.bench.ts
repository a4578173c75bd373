/**
 * The warm path without the network: toCheckInput -> Gatekeeper.check (authorize, decision log line,
 * metrics) -> encoded CheckResponse, in one process, many times. What the service itself adds per Check,
 * apart from gRPC (which decodes the request for the bare server too).
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createDemoPki } from "../src/demo/demo_pki.js";
import { toCheckInput } from "../src/envoy/check_request.js";
import { EncodedResponses } from "../src/envoy/encoded_responses.js";
import { loadProtos, servedAuthorization } from "../src/envoy/protos.js";
import { andThen, type Settled } from "../src/foundation/settled.js";
import { decisionRecorder } from "../src/ops/decision_recorder.js";
import { createLogger } from "../src/ops/log.js";
import { GatekeeperMetrics } from "../src/ops/metrics.js";
import { assembleGate } from "../src/pipeline/gate.js";
import { Gatekeeper } from "../src/pipeline/gatekeeper.js";
import { parsePolicy } from "../src/policy/policy.js";
import { revocationDisabled } from "../src/revocation/revocation.js";
import { peerOnlyForwarding } from "../src/source/provenance/forwarding.js";
import { trustStoreFromCertificates } from "../src/trust/trust_store.js";
import { checkRequest } from "../test/support/check_request.js";

export async function coreWarmPath(
  iterations: number,
): Promise<{ usPerCheck: number; checksPerSecond: number }> {
  const pki = await createDemoPki();
  const now = (): Date => new Date();
  const gate = assembleGate({
    policy: parsePolicy(
      readFileSync(join(import.meta.dirname, "../policies/berlin-group.yaml"), "utf8"),
      "bg.yaml",
    ),
    trust: trustStoreFromCertificates([pki.root.cert], [pki.intermediate.cert]),
    forwarding: peerOnlyForwarding(16_384, 1000),
    revocation: revocationDisabled,
    now,
    qwac: { acceptEseal: false },
    headerPrefix: "x-tpp-",
    cache: { certificates: 1000, maxBytes: 64 * 1024 * 1024, denialTtlSeconds: 60 },
  });
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = createLogger("info", sink);
  const request = checkRequest({
    path: "/v1/accounts/3dc3d5b3/transactions?bookingStatus=booked",
    certPem: pki.tpps["tpp-ai"].pem,
    requestId: "r",
    headers: { "user-agent": "bench" },
  });
  const responses = { headerPrefix: "x-tpp-", reasonHeader: "x-authz-reason" };
  const metrics = new GatekeeperMetrics({ processMetrics: false });
  const gatekeeper = new Gatekeeper(
    { gate, responses, mode: "enforce" },
    decisionRecorder({ logger, metrics }),
  );
  const encoded = new EncodedResponses(servedAuthorization(loadProtos().authorization).encodeResponse);
  // As the gRPC edge runs it: a warm Check settles in the same turn, so the loop waits only when it must.
  const once = (): Settled<void> => {
    const input = toCheckInput(request);
    return andThen(gatekeeper.check(input), (outcome) => {
      encoded.bytes(outcome.decision, input, outcome.responses);
    });
  };
  for (let i = 0; i < 2000; i++) await once();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const pending = once();
    if (pending instanceof Promise) await pending;
  }
  const us = Number(process.hrtime.bigint() - started) / 1000 / iterations;
  return { usPerCheck: Math.round(us * 100) / 100, checksPerSecond: Math.round(1_000_000 / us) };
}

if (process.argv[1]?.endsWith("core.bench.ts")) {
  coreWarmPath(50_000).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
}
