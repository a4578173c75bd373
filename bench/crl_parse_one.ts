/**
 * One CRL-parse measurement in a fresh process (started by bench/crl.bench.ts with --expose-gc): reads a
 * DER CRL and its CA certificate, runs verifyCrl RUNS times, keeping only the last result alive, and prints
 * one JSON line: times, heap retained by the verified CRL, RSS growth and peak RSS.
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { X509Certificate } from "@peculiar/x509";
import { verifyCrl } from "../src/revocation/crl.js";

const RUNS = 3;
const MB = 1024 * 1024;

const [derPath, caPath] = process.argv.slice(2);
if (derPath === undefined || caPath === undefined)
  throw new Error("usage: crl_parse_one.ts <crl.der> <ca.pem>");
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const issuer = new X509Certificate(readFileSync(caPath, "utf8"));
const der = new Uint8Array(readFileSync(derPath));
gc();
const heapBefore = process.memoryUsage().heapUsed;
const rssBefore = process.memoryUsage().rss;
const times: number[] = [];
let kept: unknown;
let entries = 0;
for (let run = 0; run < RUNS; run++) {
  kept = undefined;
  gc();
  const started = performance.now();
  const outcome = await verifyCrl(der, { issuer, now: new Date(), clockSkewMs: 0 });
  times.push(performance.now() - started);
  if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.detail}`);
  entries = outcome.value.revoked.size;
  kept = outcome.value;
}
gc();
const usage = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({
    entries,
    bytes: der.length,
    firstMs: times[0],
    bestMs: Math.min(...times),
    retainedMb: (usage.heapUsed - heapBefore) / MB,
    rssGrowthMb: (usage.rss - rssBefore) / MB,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    kept: kept !== undefined,
  })}\n`,
);
