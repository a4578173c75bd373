/**
 * Time and memory to load and verify the real EU lists in ../shared/fixtures/trusted-lists (read where they
 * are, never copied): LOTL 390 through the pivot chain from the 2019 OJ certificates, its six Member State
 * lists, and the cold-path cost of a first qualification decision. `npm run bench:trusted-lists`.
 */
import "reflect-metadata";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { X509Certificate } from "@peculiar/x509";

const { loadMemberStateLists, verifyLotl } = await import("../src/trust/trusted_lists/lotl.js");
const { qualifyForWebsiteAuthentication, ServiceIndex } = await import(
  "../src/trust/trusted_lists/qualification.js"
);

const TL = join(import.meta.dirname, "../../shared/fixtures/trusted-lists");
const FILES: Record<string, string> = {
  EL: "2026/EL-tl-seq85-2026-04-14.xml",
  FI: "2026/FI-tl-seq54-2026-04-16.xml",
  LU: "2026/LU-tl-seq66-2026-05-20.xml",
  MT: "2026/MT-tl-seq55-2026-04-27.xml",
  NL: "2026/NL-tl-seq76-2026-02-10.xml",
  PT: "2026/PT-tl-seq112-2026-05-06.xml",
};
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(join(TL, p)));
const oj = readdirSync(join(TL, "oj-2019")).map(
  (f) => new X509Certificate(readFileSync(join(TL, "oj-2019", f), "utf8")),
);
const pivot = async (location: string): Promise<Uint8Array> => {
  const name = basename(new URL(location).pathname);
  return name === "eu-lotl-pivot-378.xml"
    ? read("2026/eu-lotl-seq378-2026-01-21.xml")
    : read(`pivots/${name}`);
};

const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
const heap0 = process.memoryUsage();
const t0 = performance.now();
const lotl = await verifyLotl(read("2026/eu-lotl-seq390-2026-08-03.xml"), "eu-lotl.xml", oj, pivot);
const t1 = performance.now();
const byLocation = new Map(lotl.pointers.map((p) => [p.location, p.territory ?? ""]));
const outcomes = await loadMemberStateLists(
  lotl,
  async (location) => read(FILES[byLocation.get(location) ?? ""] ?? "missing"),
  new Set(Object.keys(FILES)),
);
const t2 = performance.now();
const index = new ServiceIndex(outcomes.flatMap((o) => (o.ok ? [o.list] : [])));
const t3 = performance.now();
const heap1 = process.memoryUsage();
const qwac = new X509Certificate(readFileSync(join(TL, "../real-psd2/02-multicert-tink-qwac.pem"), "utf8"));
const t4 = performance.now();
const q = await qualifyForWebsiteAuthentication(index, qwac, new Date("2026-06-01T00:00:00Z"));
const t5 = performance.now();
const bytes = Object.values(FILES).reduce((n, f) => n + readFileSync(join(TL, f)).byteLength, 0);
console.log(`Node ${process.version}`);
console.log(`LOTL 390 via 5 pivots from OJ 2019 (6 signatures): ${(t1 - t0).toFixed(0)} ms`);
console.log(
  `6 Member State lists (${mb(bytes)} MiB, ${outcomes.filter((o) => o.ok).length} verified): ${(t2 - t1).toFixed(0)} ms`,
);
console.log(`service index: ${(t3 - t2).toFixed(0)} ms`);
console.log(
  `heap used +${mb(heap1.heapUsed - heap0.heapUsed)} MiB, rss ${mb(heap1.rss)} MiB (peak rss includes the DOMs)`,
);
console.log(
  `first qualification of a real QWAC (02 MULTICERT vs PT): ${(t5 - t4).toFixed(1)} ms, qualified=${q.listed && q.qualified}`,
);
