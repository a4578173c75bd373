import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { X509Certificate } from "@peculiar/x509";
import type { ListFetcher } from "../../../src/trust/trusted_lists/lotl.js";
import type { TrustedList } from "../../../src/trust/trusted_lists/model.js";

/** The real lists are read where they are (../shared), never copied into the repository. */
export const TL_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../../../shared/fixtures/trusted-lists",
);

export const REAL = {
  lotl390: join(TL_DIR, "2026/eu-lotl-seq390-2026-08-03.xml"),
  lotl378: join(TL_DIR, "2026/eu-lotl-seq378-2026-01-21.xml"),
  lotl248: join(TL_DIR, "2019/eu-lotl-seq248-2019-09-04.xml"),
  pivot341: join(TL_DIR, "pivots/eu-lotl-pivot-341.xml"),
  dk2019: join(TL_DIR, "2019/DK-tl-seq22-2019-08-05.xml"),
  cz2019: join(TL_DIR, "2019/CZ-tl-seq77-2019-08-23.xml"),
  hr2019: join(TL_DIR, "2019/HR-tl-seq27-2019-06-12.xml"),
  lu2019: join(TL_DIR, "2019/LU-tl-seq37-2019-08-07.xml"),
  hr2024: join(TL_DIR, "2026/HR-tl-seq52-2024-06-17.xml"),
  pt2026: join(TL_DIR, "2026/PT-tl-seq112-2026-05-06.xml"),
  nl2026: join(TL_DIR, "2026/NL-tl-seq76-2026-02-10.xml"),
  lu2026: join(TL_DIR, "2026/LU-tl-seq66-2026-05-20.xml"),
  mt2026: join(TL_DIR, "2026/MT-tl-seq55-2026-04-27.xml"),
  fi2026: join(TL_DIR, "2026/FI-tl-seq54-2026-04-16.xml"),
  el2026: join(TL_DIR, "2026/EL-tl-seq85-2026-04-14.xml"),
} as const;

export function bytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** The 8 LOTL signing certificates of OJ C 276, 16.8.2019 (PEM despite the .cer suffix). */
export function oj2019Certificates(): X509Certificate[] {
  const dir = join(TL_DIR, "oj-2019");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".cer"))
    .map((f) => new X509Certificate(readFileSync(join(dir, f), "utf8")));
}

/** Pivot URLs served from the stored copies (pivot 378 is the seq-378 LOTL, see SOURCES.md). */
export function pivotFetcher(fetched: string[]): ListFetcher {
  return async (location) => {
    fetched.push(location);
    const name = basename(new URL(location).pathname);
    const match = /^eu-lotl-pivot-(\d+)\.xml$/.exec(name);
    if (match?.[1] === "378") return bytes(REAL.lotl378);
    if (match) return bytes(join(TL_DIR, "pivots", name));
    throw new Error(`no stored copy of ${location}`);
  };
}

/** A Member State list served by territory from the stored copies of one snapshot. */
export function territoryFetcher(lotl: TrustedList, files: Readonly<Record<string, string>>): ListFetcher {
  return async (location) => {
    const territory = lotl.pointers.find((p) => p.location === location)?.territory;
    const file = territory === undefined ? undefined : files[territory];
    if (file === undefined) throw new Error(`no stored copy of ${location}`);
    return bytes(file);
  };
}

export function sha256Hex(cert: X509Certificate): string {
  return createHash("sha256").update(new Uint8Array(cert.rawData)).digest("hex");
}
