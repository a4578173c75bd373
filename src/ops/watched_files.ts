import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { type LoadedSnapshot, signatureKeyFiles } from "../config/snapshot.js";

/**
 * What a reload depends on, and how to tell that it changed.
 *
 * Kubernetes never writes a mounted ConfigMap or Secret file in place, nor renames it: each file is a
 * symlink `name -> ..data/name`, and an update writes a new `..<timestamp>` folder, points a `..data_tmp`
 * symlink at it and renames that over `..data` (the kubelet's AtomicWriter). The only events are about
 * `..data`, `..data_tmp` and the timestamped folders, never about `name`. So every event in a watched
 * folder counts, and whether it changed anything is decided by the contents, read through the symlinks.
 */

/** Every file (or trust directory) the running configuration was loaded from. */
export function watchedPaths(configFile: string, snapshot: LoadedSnapshot): string[] {
  const config = snapshot.config;
  const paths = [
    configFile,
    config.policy,
    config.trust.anchors,
    config.trust.intermediates,
    ...signatureKeyFiles(config),
  ];
  return [...new Set(paths.filter((path): path is string => path !== undefined))];
}

/** The folders to watch: a file's own folder (where the swap happens), a trust directory itself. */
export function watchedFolders(paths: readonly string[]): string[] {
  return [...new Set(paths.map((path) => (isDirectory(path) ? path : dirname(path))))];
}

/**
 * A digest of what `path` holds now, following symlinks: a file's bytes, or a directory's regular files
 * (the `..data` and `..<timestamp>` folders a kubelet keeps beside them are directories and are skipped;
 * the files are reached through their symlinks). An unreadable path has a digest of its own, so that
 * its return is a change too.
 */
export function contentDigest(path: string): string {
  const hash = createHash("sha256");
  try {
    if (!statSync(path).isDirectory()) return hash.update(readFileSync(path)).digest("hex");
    for (const name of readdirSync(path).sort()) {
      const file = join(path, name);
      if (!isFile(file)) continue;
      hash.update(name).update("\0").update(readFileSync(file)).update("\0");
    }
    return hash.digest("hex");
  } catch (error) {
    return `unreadable:${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
