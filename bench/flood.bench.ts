/**
 * Memory under a flood of hostile certificates (issue 13, item 3), measured on the real process: the
 * service started as `npm start` starts it, at its default cache budget (`cache.maxBytes`), takes FLOOD
 * distinct self-signed certificates with ~4.5 KB names (all refused; the results give their encoded
 * size), and is then asked for a good TPP. Reports resident memory (Linux /proc) as the flood goes, the
 * peak, the V8 heap from the service's own metrics, and whether the good TPP is still admitted. Section 5
 * of `npm run bench`; on its own `npm run bench:flood [-- count]` rewrites only its section of
 * bench/results.md.
 */
import "reflect-metadata";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureDemoPki } from "../src/demo/demo_pki.js";
import { PROJECT_ROOT } from "../src/foundation/project_root.js";
import { checkRequest } from "../test/support/check_request.js";
import { checkClient } from "../test/support/ext_authz_client.js";
import { hostileCertificates } from "../test/support/hostile_certificates.js";
import { type ServiceProcess, startServiceProcess } from "../test/support/service_process.js";
import { writeResults } from "./results_file.js";

export const FLOOD_SECTION_TITLE = "## 5. Memory under a flood of hostile certificates (real process)";
const IN_FLIGHT = 16;
const SAMPLES = 6;
const MiB = 1024 * 1024;

interface Memory {
  readonly rssMb: number;
  readonly peakRssMb: number;
}

/** VmRSS and VmHWM of a process, from /proc (Linux). */
function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { rssMb: kib("VmRSS") / 1024, peakRssMb: kib("VmHWM") / 1024 };
}

/** A gauge of the service's own Prometheus endpoint (prom-client's default process metrics). */
async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((entry) => entry.startsWith(`${name} `) || entry.startsWith(`${name}{`));
  return Number(line?.split(" ").at(-1) ?? Number.NaN);
}

async function waitForLine(service: ServiceProcess, msg: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 400; i++) {
    const line = service.lines.find((entry) => entry.msg === msg);
    if (line !== undefined) return line;
    if (service.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the service did not log "${msg}": ${service.stderr().slice(-400)}`);
}

function writeConfig(dir: string): string {
  const file = join(dir, "flood.yaml");
  writeFileSync(
    file,
    [
      "listen: { host: 127.0.0.1, port: 0 }",
      "metrics: { host: 127.0.0.1, port: 0 }",
      "revocation: { enabled: false }",
      "trust: { anchors: pki/root.pem, intermediates: pki/intermediates.pem }",
      `policy: ${join(PROJECT_ROOT, "policies/berlin-group.yaml")}`,
    ].join("\n"),
  );
  return file;
}

export async function floodSection(flood = 30_000): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "gk-bench-flood-"));
  let service: ServiceProcess | undefined;
  try {
    await ensureDemoPki(join(dir, "pki"));
    service = startServiceProcess(writeConfig(dir));
    const listening = await waitForLine(service, "ext_authz listening");
    const metricsPort = Number(listening.opsPort);
    const pid = service.child.pid ?? 0;
    const client = checkClient(Number(listening.port));
    const good = readFileSync(join(dir, "pki", "tpp-ai.pem"), "utf8");
    const admitted = async (): Promise<boolean> =>
      (await client.check(checkRequest({ path: "/v1/accounts", certPem: good }))).status?.code === 0;
    await admitted();
    const rows: [string, Memory, number][] = [
      ["0", memoryOf(pid), await metric(metricsPort, "nodejs_heap_size_used_bytes")],
    ];

    const hostile = hostileCertificates(4500);
    const started = process.hrtime.bigint();
    let next = 0;
    let refused = 0;
    for (let sample = 1; sample <= SAMPLES; sample++) {
      const until = Math.round((flood * sample) / SAMPLES);
      const worker = async (): Promise<void> => {
        while (next < until) {
          const answer = await client.check(
            checkRequest({ path: "/v1/accounts", certPem: hostile.pem(next++) }),
          );
          if (answer.status?.code !== 0) refused++;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      rows.push([String(until), memoryOf(pid), await metric(metricsPort, "nodejs_heap_size_used_bytes")]);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stillAdmitted = await admitted();
    const cached = await metric(metricsPort, "gatekeeper_certificate_cache_entries");
    client.close();
    return [
      `${FLOOD_SECTION_TITLE}\n`,
      `${new Date().toISOString()}, Node ${process.version}. The service as its own process with the default \`cache.maxBytes\` (64 MiB) and Node's default heap limit, revocation off, decision log on; ${flood} distinct self-signed certificates with ~4.5 KB subject and issuer names (${encodeURIComponent(hostile.pem(0)).length} bytes percent-encoded each), ${IN_FLIGHT} Checks in flight over one gRPC connection.\n`,
      "| hostile certificates sent | RSS | peak RSS | V8 heap used |",
      "|---:|---:|---:|---:|",
      ...rows.map(
        ([sent, memory, heap]) =>
          `| ${sent} | ${memory.rssMb.toFixed(0)} MB | ${memory.peakRssMb.toFixed(0)} MB | ${(heap / MiB).toFixed(0)} MB |`,
      ),
      "",
      `Refused: ${refused}/${flood} (${(flood / seconds).toFixed(0)} certificates/s). Afterwards a good TPP is ${stillAdmitted ? "still admitted" : "NOT admitted"}; certificate cache entries reported: ${Number.isNaN(cached) ? "n/a" : cached}.`,
    ];
  } finally {
    service?.child.kill("SIGTERM");
    if (service !== undefined) await service.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const lines = await floodSection(Number(process.argv[2] ?? "30000"));
  process.stdout.write(`${lines.join("\n")}\n`);
  writeResults(lines.join("\n"));
  process.stdout.write("\n(section 5 written to bench/results.md)\n");
}
