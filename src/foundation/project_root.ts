import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package root, whether this file runs from src/foundation/ (tsx, tests) or from dist/src/foundation/
 * (npm start): bundled
 * files (proto/, config/, policies/, demo/) are found relative to it.
 */
function findRoot(): string {
  const src = dirname(dirname(fileURLToPath(import.meta.url)));
  return src.endsWith(join("dist", "src")) ? join(src, "..", "..") : join(src, "..");
}

export const PROJECT_ROOT = findRoot();
