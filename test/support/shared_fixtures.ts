import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";

/**
 * The real PSD2 certificates live in ../shared/fixtures/real-psd2 beside the repository, never copied into
 * it (their provenance is recorded there, in SOURCES.md): resolved from the repository root, not from the
 * working directory, so a test finds them whichever folder vitest runs from.
 */
export const REAL_PSD2_DIR: string = join(PROJECT_ROOT, "..", "shared", "fixtures", "real-psd2");

export function realPsd2Path(name: string): string {
  return join(REAL_PSD2_DIR, name);
}

export function realPsd2Pem(name: string): string {
  return readFileSync(realPsd2Path(name), "utf8");
}
