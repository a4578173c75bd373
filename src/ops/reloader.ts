import { type FSWatcher, statSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { ConfigError } from "../config/config_error.js";
import type { Gatekeeper } from "../gatekeeper.js";
import type { Logger } from "../log.js";
import { type LoadedSnapshot, loadSnapshot, type SnapshotDeps } from "../snapshot.js";

export interface ReloaderOptions {
  readonly configFile: string;
  readonly deps: SnapshotDeps;
  readonly gatekeeper: Gatekeeper;
  readonly initial: LoadedSnapshot;
  readonly logger: Logger;
  readonly onResult?: (result: "success" | "failure", snapshot: LoadedSnapshot) => void;
  /** Quiet time after the last file event before reloading: editors and `kubectl` write in several steps. */
  readonly debounceMs?: number;
}

/**
 * Hot reload, keeping the last good set: the whole new set (config, policy, trust, revocation settings)
 * is loaded and validated first and swapped in as one snapshot; any error leaves the running set alone.
 * Triggered by SIGHUP (the caller wires it) and by changes to the files the config names.
 */
export class Reloader {
  private current: LoadedSnapshot;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private watching = false;

  constructor(private readonly options: ReloaderOptions) {
    this.current = options.initial;
  }

  get snapshot(): LoadedSnapshot {
    return this.current;
  }

  /** Returns true when the new set is in service. */
  async reload(trigger: string): Promise<boolean> {
    const previous = this.current;
    let next: LoadedSnapshot;
    try {
      next = loadSnapshot(this.options.configFile, this.options.deps, previous);
    } catch (error) {
      const where =
        error instanceof ConfigError
          ? { file: error.file, key: error.key, problem: error.problem }
          : { err: error };
      this.options.logger.error(
        { trigger, ...where },
        "reload rejected; keeping the last good configuration",
      );
      this.options.onResult?.("failure", previous);
      return false;
    }
    this.current = next;
    this.options.gatekeeper.swap(next);
    if (next.gate.revocation !== previous.gate.revocation) {
      // Checks that started on the old snapshot still use its checker; they wait at most timeoutMs for it.
      const drainMs = previous.config.revocation.timeoutMs + 1000;
      setTimeout(() => void previous.gate.revocation.close(), drainMs).unref();
    }
    if (next.config.log.level !== previous.config.log.level)
      this.options.logger.level = next.config.log.level;
    const restartOnly = restartOnlyChanges(previous, next);
    if (restartOnly.length > 0) {
      this.options.logger.warn({ trigger, keys: restartOnly }, "these settings take effect on restart");
    }
    this.options.logger.info(
      { trigger, chainCache: next.gate.certificates === previous.gate.certificates ? "kept" : "cleared" },
      "configuration reloaded",
    );
    this.options.onResult?.("success", next);
    this.rearm();
    return true;
  }

  /** Watches the folders of every file the config names (files are often replaced, not written in place). */
  watch(): void {
    this.watching = true;
    this.rearm();
  }

  close(): void {
    this.watching = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }

  private rearm(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    if (!this.watching) return;
    try {
      this.watchers = this.watchersFor(watchedPaths(this.options.configFile, this.current));
    } catch (error) {
      // fs.watch throws on a vanished folder or exhausted inotify watches: keep serving, say so, rely on SIGHUP.
      this.options.logger.warn({ err: error }, "cannot watch the configuration files; reload with SIGHUP");
    }
  }

  /** All or nothing: a watcher made before one that throws is closed again. */
  private watchersFor(paths: [string, string | undefined][]): FSWatcher[] {
    const watchers: FSWatcher[] = [];
    try {
      for (const [dir, name] of paths) {
        const watcher = watch(dir, (_event, changed) => {
          if (name === undefined || changed === null || changed === name) this.schedule();
        });
        watcher.on("error", (error) =>
          this.options.logger.warn({ err: error, dir }, "cannot watch for changes"),
        );
        watchers.push(watcher);
      }
    } catch (error) {
      for (const watcher of watchers) watcher.close();
      throw error;
    }
    return watchers;
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload("file change");
    }, this.options.debounceMs ?? 250);
  }
}

/** [folder, file name in it] per watched path; a trust directory is watched as a whole (name undefined). */
function watchedPaths(configFile: string, snapshot: LoadedSnapshot): [string, string | undefined][] {
  const files = [
    configFile,
    snapshot.config.policy,
    snapshot.config.trust.anchors,
    snapshot.config.trust.intermediates,
  ];
  const paths: [string, string | undefined][] = [];
  for (const file of files) {
    if (file === undefined) continue;
    const entry: [string, string | undefined] = isDirectory(file)
      ? [file, undefined]
      : [dirname(file), basename(file)];
    if (!paths.some(([dir, name]) => dir === entry[0] && name === entry[1])) paths.push(entry);
  }
  return paths;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Settings read once at start (listeners, audit file, metrics wiring): a reload says so instead of pretending. */
function restartOnlyChanges(previous: LoadedSnapshot, next: LoadedSnapshot): string[] {
  const keys = ["listen", "metrics", "audit", "http", "shutdown"] as const;
  return keys.filter((key) => !isDeepStrictEqual(previous.config[key], next.config[key]));
}
