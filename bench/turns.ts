/**
 * Turn-taking between the service and its ceiling, shared by the gRPC and the HTTP benches: a shared VM
 * drifts by ±30 % within a minute, so the two servers take turns (which one goes first alternating) and a
 * row reports the median round's ratio with the range, which drift between rounds cannot move.
 */
import type { Sample } from "./h2load.js";

/**
 * One server, or several processes of the same server. Identical processes on the same pinned CPU differ
 * in throughput for their whole life, by as much as the differences the bench measures (placement, not
 * drift: bench/results.md, "Design measurements"), so a ratio of one process to one other carries that
 * luck; with several, the rounds are spread over them.
 */
export type Servers = number | readonly number[];

/** Processes of each server the benches start for their main rows (BENCH_PROCESSES; at least one). */
export const PROCESSES = Math.max(1, Number(process.env.BENCH_PROCESSES ?? "2") || 1);

/** How the main rows spread their rounds, for a report's preamble. */
export const PROCESS_SPREAD = `${PROCESSES} processes of each server, each pair of rounds (one of each order) on the next process of each`;

/** Drives one server at one concurrency for one turn and returns what it measured. */
export type Drive = (port: number, concurrency: number) => Promise<Sample>;

export interface Pair {
  readonly service: Summary;
  readonly bare: Summary;
  /** Service/bare throughput ratio per round, sorted: a round's two turns ran back to back. */
  readonly ratios: readonly number[];
}

export interface Summary {
  readonly rps: number;
  readonly errors: number;
  readonly p50us: number;
  readonly p99us: number;
}

/**
 * `rounds` rounds of one turn each at one concurrency; rounds are pooled. Which server goes first
 * alternates from round to round, so neither always runs on the heels of the other; each pair of rounds
 * (one with each order) goes to the next process of each side.
 */
export async function turns(
  drive: Drive,
  rounds: number,
  service: Servers,
  bare: Servers,
  concurrency: number,
): Promise<Pair> {
  const samples: { service: Sample; bare: Sample }[] = [];
  for (let round = 0; round < rounds; round++) {
    const measuredPort = processFor(service, round);
    const barePort = processFor(bare, round);
    if (round % 2 === 0) {
      const ceiling = await drive(barePort, concurrency);
      samples.push({ bare: ceiling, service: await drive(measuredPort, concurrency) });
    } else {
      const measured = await drive(measuredPort, concurrency);
      samples.push({ service: measured, bare: await drive(barePort, concurrency) });
    }
  }
  return {
    service: pool(samples.map((s) => s.service)),
    bare: pool(samples.map((s) => s.bare)),
    ratios: samples.map((s) => s.service.rps / s.bare.rps).sort((a, b) => a - b),
  };
}

/** The process a round drives: both orders of turns on one process, then the next one. */
function processFor(servers: Servers, round: number): number {
  if (typeof servers === "number") return servers;
  const port = servers[Math.floor(round / 2) % servers.length];
  if (port === undefined) throw new Error("no server process to drive");
  return port;
}

function pool(samples: readonly Sample[]): Summary {
  const latencies = samples.flatMap((s) => s.latenciesUs).sort((a, b) => a - b);
  return {
    rps: Math.round(samples.reduce((sum, s) => sum + s.rps, 0) / samples.length),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    p50us: percentile(latencies, 0.5),
    p99us: percentile(latencies, 0.99),
  };
}

/** The q-quantile of sorted latencies, rounded to a microsecond. */
export function percentile(sorted: readonly number[], q: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
}

/** The rows' header; the two columns are named for what is measured against what. */
export function tableHead(service = "service", bare = "bare", first = "concurrency"): string {
  return [
    `| ${first} | ${service} req/s | ${bare} req/s | ratio: median round (range) | ${service} p50 / p99 µs | ${bare} p50 / p99 µs | added p50 / p99 µs |`,
    "|---:|---:|---:|---:|---:|---:|---:|",
  ].join("\n");
}

export const TABLE_HEAD = tableHead();

/** One table row: the median round's ratio, with the lowest and highest. */
export function row(load: string, { service, bare, ratios }: Pair): string {
  const ratio = ratioCell(ratios);
  const errors = service.errors + bare.errors > 0 ? ` (non-200: ${service.errors}/${bare.errors})` : "";
  return `| ${load} | ${service.rps} | ${bare.rps} | ${ratio} | ${service.p50us} / ${service.p99us} | ${bare.p50us} / ${bare.p99us} | ${service.p50us - bare.p50us} / ${service.p99us - bare.p99us}${errors} |`;
}

/** "median (lowest–highest)" of sorted per-round ratios, in percent. */
export function ratioCell(ratios: readonly number[]): string {
  const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;
  return `${percent(medianRatio(ratios))} (${percent(ratios[0] ?? 0)}–${percent(ratios.at(-1) ?? 0)})`;
}

export function medianRatio(ratios: readonly number[]): number {
  return ratios[Math.floor(ratios.length / 2)] ?? 0;
}

/** One table row per level, `measured` against `baseline` taking turns, and each row's median ratio. */
export async function levelRows(
  drive: Drive,
  rounds: number,
  levels: readonly number[],
  measured: Servers,
  baseline: Servers,
): Promise<{ rows: string[]; medians: string[] }> {
  const rows: string[] = [];
  const medians: string[] = [];
  for (const concurrency of levels) {
    const pair = await turns(drive, rounds, measured, baseline, concurrency);
    rows.push(row(`${concurrency}`, pair));
    medians.push(`c=${concurrency}: ${medianRatio(pair.ratios).toFixed(2)}`);
  }
  return { rows, medians };
}

/**
 * This run's noise floor: the second bare process against the first, the same code on the same CPU, as a
 * sentence for the report; undefined with a single process.
 */
export async function noiseFloor(
  drive: Drive,
  rounds: number,
  bare: readonly number[],
  concurrency: number,
): Promise<string | undefined> {
  const [first, second] = bare;
  if (first === undefined || second === undefined) return undefined;
  const pair = await turns(drive, rounds, second, first, concurrency);
  return `The noise floor of this run: one bare server process against another, the same code on the same CPU, concurrency ${concurrency}: ${ratioCell(pair.ratios)}.`;
}
