/**
 * First sight after a fresh start (issue 14): new service processes, each asked once, its very first
 * Check, for a QWAC it has never seen, every revocation setting at its default. Two responders: (a)
 * `openssl ocsp` run per request (test/revocation/lab.ts), (b) answers `openssl ocsp` signed beforehand,
 * replayed (bench/revocation_lab.ts), which leaves the service's own cost plus one HTTP round trip.
 * Writes its own section of bench/results.md. `npm run bench:first-sight [-- starts]`.
 */
import "reflect-metadata";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { PATH, startRevocationLab } from "../test/revocation/lab.js";
import {
  type FirstSight,
  firstSight,
  freshQwac,
  writeFirstSightConfig,
} from "../test/support/first_sight.js";
import { writeResults } from "./results_file.js";
import { startBenchRevocationLab } from "./revocation_lab.js";

const HEADING = "## First sight after a fresh start";
const starts = Number(process.argv[2] ?? "10");

function report(series: string, start: number, sight: FirstSight): FirstSight {
  const verdict = sight.allowed ? "allow" : `deny ${sight.reason}`;
  console.log(`${series} ${start + 1}/${starts}: ${verdict} ${sight.ms.toFixed(1)} ms`);
  return sight;
}

async function liveResponder(dir: string): Promise<FirstSight[]> {
  const lab = await startRevocationLab();
  const sights: FirstSight[] = [];
  try {
    const config = writeFirstSightConfig(join(dir, "live"), lab.ca.cert.pem);
    for (let start = 0; start < starts; start++) {
      const qwac = await freshQwac(lab.ca, lab.server.url(PATH.ocsp), `bench-first-${start}`);
      sights.push(report("(a) openssl ocsp per request", start, await firstSight(config, qwac)));
    }
  } finally {
    await lab.close();
  }
  return sights;
}

async function replayedAnswers(dir: string): Promise<FirstSight[]> {
  const replay = await startBenchRevocationLab(starts);
  const sights: FirstSight[] = [];
  try {
    const config = writeFirstSightConfig(join(dir, "replay"), replay.caPem);
    for (let start = 0; start < starts; start++) {
      const qwac = replay.qwacs[start] ?? "";
      sights.push(report("(b) replayed openssl answers", start, await firstSight(config, qwac)));
    }
  } finally {
    await replay.close();
  }
  return sights;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
}

function row(name: string, values: readonly number[]): string {
  return `| ${name} | ${quantile(values, 0.5)} | ${quantile(values, 0.9)} | ${Math.round(Math.max(...values))} |`;
}

function rows(name: string, all: readonly FirstSight[]): string[] {
  return [
    row(
      `${name} first Check, as the client sees it (its first gRPC call)`,
      all.map((sight) => sight.ms),
    ),
    row(
      `${name} first Check inside the service (decision line \`us\`)`,
      all.map((s) => s.serviceMs ?? Number.NaN),
    ),
    row(
      `${name} warm-up before listening`,
      all.map((sight) => sight.warmUpMs ?? Number.NaN),
    ),
  ];
}

function verdicts(all: readonly FirstSight[]): string {
  const refused = all.filter((sight) => !sight.allowed).map((sight) => sight.reason);
  return `${all.length - refused.length}/${all.length}${refused.length === 0 ? "" : ` (refused: ${refused.join(", ")})`}`;
}

function render(live: readonly FirstSight[], replayed: readonly FirstSight[]): string {
  const cpu = cpus()[0]?.model.split(" ").slice(0, 2).join(" ") ?? "";
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  return [
    HEADING,
    "",
    `${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpu}, load average ${load} (shared).`,
    `${live.length} + ${replayed.length} fresh processes, each asked once (its first Check) for a never-seen QWAC, ` +
      "revocation at its defaults (`failMode: hard`, `timeoutMs: 200`), the Check sent once `/readyz` says ready. " +
      "Responder (a): `openssl ocsp` run per request; (b): answers `openssl ocsp` signed beforehand, replayed.",
    "",
    "| ms | p50 | p90 | max |",
    "|---|---:|---:|---:|",
    ...rows("(a)", live),
    ...rows("(b)", replayed),
    "",
    `Allowed: (a) ${verdicts(live)}; (b) ${verdicts(replayed)}.`,
    "",
  ].join("\n");
}

const dir = mkdtempSync(join(tmpdir(), "gk-bench-first-sight-"));
try {
  const live = await liveResponder(dir);
  const replayed = await replayedAnswers(dir);
  const section = render(live, replayed);
  console.log(section);
  writeResults(section);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
