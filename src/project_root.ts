import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package root, whether this file runs from src/ (tsx, tests) or from dist/src/ (npm start): bundled
 * files (proto/, config/, policies/, demo/) are found relative to it.
 */
function findRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith(join("dist", "src")) ? join(here, "..", "..") : join(here, "..");
}

export const PROJECT_ROOT = findRoot();
