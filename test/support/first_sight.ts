import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { issueCertificate, psd2Roles } from "../../src/demo/certificate_factory.js";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import { checkRequest, headerValue } from "./check_request.js";
import { checkClient } from "./ext_authz_client.js";
import type { OpensslCa } from "./openssl_ca.js";
import { startServiceProcess } from "./service_process.js";

/**
 * A fresh service process whose very first Check is for a certificate it has never seen, answered by a
 * real `openssl ocsp` responder (the CA's AIA): what a bank sees right after a deploy. Shared by
 * test/process/first_sight.test.ts and bench/first_sight.bench.ts.
 */
export interface FirstSight {
  readonly allowed: boolean;
  /** x-authz-reason of a denial, undefined on an allow. */
  readonly reason: string | undefined;
  /** The first Check, from sending it to its answer, once /readyz said ready. */
  readonly ms: number;
  /** The process's own warm-up line, when it logged one. */
  readonly warmUpMs: number | undefined;
  /** The decision line's detail (why revocation failed, for a denial). */
  readonly detail: unknown;
  /** The service's own time for the Check (the decision line's `us`), in ms. */
  readonly serviceMs: number | undefined;
}

/** The service config for the lab's CA (PEM), every revocation setting at its default. */
export function writeFirstSightConfig(dir: string, caPem: string): string {
  mkdirSync(dir, { recursive: true });
  const anchors = join(dir, "lab-ca.pem");
  writeFileSync(anchors, caPem);
  const config = join(dir, "first-sight.yaml");
  writeFileSync(
    config,
    [
      "listen: { host: 127.0.0.1, port: 0 }",
      "metrics: { host: 127.0.0.1, port: 0 }",
      `trust: { anchors: ${anchors} }`,
      `policy: ${join(PROJECT_ROOT, "policies/berlin-group.yaml")}`,
    ].join("\n"),
  );
  return config;
}

/** A QWAC this CA's responder knows as good, never shown to any process before. */
export async function freshQwac(ca: OpensslCa, ocspUrl: string, name: string): Promise<string> {
  const issued = await issueCertificate({
    aiaOcspUrl: ocspUrl,
    subject: `CN=${name}.example, O=${name} SAS, 2.5.4.97=PSDFR-ACPR-${10_000 + name.length}, C=FR`,
    issuer: await ca.signer(),
    qc: { types: ["web"], psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
  });
  await ca.recordValid(name, issued.pem);
  return issued.pem;
}

export async function firstSight(configFile: string, qwacPem: string): Promise<FirstSight> {
  const service = spawnService(configFile);
  try {
    const listening = await service.waitForLine((line) => line.msg === "ext_authz listening");
    const warmUp = service.lines.find((line) => line.msg === "warm-up done");
    await waitUntilReady(listening.opsPort as number);
    const client = checkClient(listening.port as number);
    try {
      const started = performance.now();
      const response = await client.check(checkRequest({ path: "/v1/accounts", certPem: qwacPem }));
      const ms = performance.now() - started;
      const decision = await service.waitForLine((line) => line.decision !== undefined);
      return {
        detail: decision.detail,
        serviceMs: typeof decision.us === "number" ? decision.us / 1000 : undefined,
        allowed: response.status.code === 0,
        reason: headerValue(response, "x-authz-reason"),
        ms,
        warmUpMs: typeof warmUp?.ms === "number" ? warmUp.ms : undefined,
      };
    } finally {
      client.close();
    }
  } finally {
    await service.stop();
  }
}

interface SpawnedService {
  readonly lines: Record<string, unknown>[];
  waitForLine(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function spawnService(configFile: string): SpawnedService {
  const { child, lines, stderr, exited } = startServiceProcess(configFile);
  return {
    lines,
    waitForLine: async (match) => {
      // Bounded: 600 × 50 ms; a start that never logs fails the run with what the process said.
      for (let i = 0; i < 600; i++) {
        const line = lines.find(match);
        if (line !== undefined) return line;
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the service never logged the line awaited; stderr: ${stderr()}`);
    },
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

async function waitUntilReady(opsPort: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`)
      .then((response) => response.status === 200)
      .catch(() => false);
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("/readyz never said ready");
}
