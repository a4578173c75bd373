/**
 * CRL parse time and memory (issue 13): verifyCrl on CRLs of 1,500, 100,000 and 500,000 entries, each
 * entry with a reasonCode, signed by an openssl CA's RSA key. Each size is measured in a fresh process so
 * one size's garbage is not another's memory. Section 4 of `npm run bench`; on its own
 * (`npm run bench:crl`) it replaces only that section of bench/results.md.
 */
import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bigCrl } from "../test/revocation/big_crl.js";
import { killRunningOpenssl, OpensslCa } from "../test/support/openssl_ca.js";
import { writeResults } from "./results_file.js";

const ROOT = join(import.meta.dirname, "..");
const SIZES = [1_500, 100_000, 500_000];
const HOUR = 3_600_000;
export const CRL_SECTION_TITLE =
  "## 4. CRL parse (verifyCrl: signature, checks, index of the revoked serials)";

interface Figures {
  readonly entries: number;
  readonly bytes: number;
  readonly firstMs: number;
  readonly bestMs: number;
  readonly retainedMb: number;
  readonly rssGrowthMb: number;
  readonly maxRssMb: number;
}

export async function crlParseSection(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "gk-bench-crl-"));
  try {
    const ca = await OpensslCa.create(join(dir, "ca"), {
      subject: "/C=EU/O=Bench QTSP/CN=Bench CRL CA",
      ocspUrl: "http://127.0.0.1:1/ocsp",
      crlUrl: "http://127.0.0.1:1/crl",
    });
    const lines = [
      `${CRL_SECTION_TITLE}\n`,
      `${new Date().toISOString()}, Node ${process.version}. One fresh process per size; time of the first parse and the best of three; memory retained by the verified CRL after GC (heap), RSS growth and peak RSS of that process (which holds the DER too).\n`,
      "| entries | DER size | first parse | best of 3 | heap retained | RSS growth | peak RSS |",
      "|---:|---:|---:|---:|---:|---:|---:|",
    ];
    for (const size of SIZES) {
      const path = join(dir, `crl-${size}.der`);
      const now = Date.now();
      writeFileSync(
        path,
        await bigCrl({
          ca: ca.cert,
          fillers: size,
          thisUpdate: new Date(now - HOUR),
          nextUpdate: new Date(now + HOUR),
        }),
      );
      lines.push(row(measure(path, ca.cert.certPath)));
    }
    return lines;
  } finally {
    killRunningOpenssl();
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure(derPath: string, caPath: string): Figures {
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(ROOT, "bench/crl_parse_one.ts"), derPath, caPath],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) throw new Error(`crl_parse_one failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as Figures;
}

function row(f: Figures): string {
  const mb = (value: number) => `${value.toFixed(1)} MB`;
  return `| ${f.entries} | ${mb(f.bytes / 1024 / 1024)} | ${f.firstMs.toFixed(0)} ms | ${f.bestMs.toFixed(0)} ms | ${mb(f.retainedMb)} | ${mb(f.rssGrowthMb)} | ${mb(f.maxRssMb)} |`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const lines = await crlParseSection();
  process.stdout.write(`${lines.join("\n")}\n`);
  writeResults(lines.join("\n"));
  process.stdout.write("\n(section 4 written to bench/results.md)\n");
}
