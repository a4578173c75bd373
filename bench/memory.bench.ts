/**
 * npm run bench:memory — RSS of the certificate caches with many distinct certificates: the default
 * configuration's 10,000 entries, and 100,000 certificates pushed through caches bounded to 10,000 and
 * to 100,000. Each case runs in a fresh process with --expose-gc.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const CASES: [count: number, maxEntries: number][] = [
  [10_000, 10_000],
  [100_000, 10_000],
  [100_000, 100_000],
];
const MB = 1024 * 1024;

const rows: string[] = [
  "| certificates seen | cache bound | cached | RSS before | RSS after | per cached certificate |",
  "|---:|---:|---:|---:|---:|---:|",
];
for (const [count, maxEntries] of CASES) {
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(ROOT, "bench/memory_fill.ts"), String(count), String(maxEntries)],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 20 },
  );
  const result = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as {
    cached: number;
    rssBefore: number;
    rss: number;
  };
  const perEntry = ((result.rss - result.rssBefore) / result.cached / 1024).toFixed(1);
  rows.push(
    `| ${count} | ${maxEntries} | ${result.cached} | ${(result.rssBefore / MB).toFixed(0)} MB | ${(result.rss / MB).toFixed(0)} MB | ${perEntry} KiB |`,
  );
  process.stdout.write(`${rows.at(-1)}\n`);
}
const report = [
  "# Memory results (`npm run bench:memory`)",
  "",
  `${new Date().toISOString()}, Node ${process.version}. Certificate caches (decoded peer certificate + parse/chain verdict) filled with distinct, verified QWACs; each case in a fresh process.`,
  "",
  ...rows,
  "",
].join("\n");
writeFileSync(join(ROOT, "bench", "memory-results.md"), report);
process.stdout.write(`\n${report}\n(written to bench/memory-results.md)\n`);
