/**
 * npm run bench:memory — memory of the certificate caches with many distinct certificates: the default
 * configuration's 10,000 entries, 100,000 certificates pushed through caches bounded to 10,000 and to
 * 100,000 entries, and 30,000 through the default 64 MiB `cache.maxBytes` budget with a count bound
 * that does not bind. Each case runs in a fresh process with --expose-gc.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const MiB = 1024 * 1024;
/** count:maxEntries[:maxBytes] per case; `npm run bench:memory -- 10000:10000` runs only the cases given. */
const DEFAULT_CASES = ["10000:10000", "100000:10000", "100000:100000", `30000:100000:${64 * MiB}`];
const CASES = (process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_CASES).map((spec) => {
  const [count = 0, maxEntries = count, maxBytes] = spec.split(":").map(Number);
  return { count, maxEntries, maxBytes };
});

const rows: string[] = [
  "| certificates seen | cache bound | cache.maxBytes | cached | RSS before | RSS after | RSS per cached certificate | retained per cached certificate |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|",
];
for (const { count, maxEntries, maxBytes } of CASES) {
  const args = [String(count), String(maxEntries), ...(maxBytes === undefined ? [] : [String(maxBytes)])];
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(ROOT, "bench/memory_fill.ts"), ...args],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 20 },
  );
  const result = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as {
    cached: number;
    rssBefore: number;
    rss: number;
    retained: number;
  };
  const perEntry = ((result.rss - result.rssBefore) / result.cached / 1024).toFixed(1);
  const retained = (result.retained / result.cached / 1024).toFixed(1);
  const budget = maxBytes === undefined ? "unbounded" : `${(maxBytes / MiB).toFixed(0)} MiB`;
  rows.push(
    `| ${count} | ${maxEntries} | ${budget} | ${result.cached} | ${(result.rssBefore / MiB).toFixed(0)} MB | ${(result.rss / MiB).toFixed(0)} MB | ${perEntry} KiB | ${retained} KiB |`,
  );
  process.stdout.write(`${rows.at(-1)}\n`);
}
const report = [
  "# Memory results (`npm run bench:memory`)",
  "",
  `${new Date().toISOString()}, Node ${process.version}. Certificate caches (decoded peer certificate + parse/chain verdict) filled with distinct, verified QWACs; each case in a fresh process. "Retained" is heap + Buffer memory after full collections (what the caches hold); RSS also counts the allocator's high-water mark from the cold path's garbage.`,
  "",
  ...rows,
  "",
].join("\n");
writeFileSync(join(ROOT, "bench", "memory-results.md"), report);
process.stdout.write(`\n${report}\n(written to bench/memory-results.md)\n`);
