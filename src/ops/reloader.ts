import { type FSWatcher, watch } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { type LoadedSnapshot, loadSnapshot, type SnapshotDeps } from "../config/snapshot.js";
import { ConfigError } from "../foundation/config_error.js";
import type { Gatekeeper } from "../pipeline/gatekeeper.js";
import type { Logger } from "./log.js";
import { contentDigest, watchedFolders, watchedPaths } from "./watched_files.js";

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
 * Triggered by SIGHUP (the caller wires it) and by changes to the contents of the files the config names
 * (watched_files.ts: how a Kubernetes ConfigMap or Secret update is seen).
 */
export class Reloader {
  private current: LoadedSnapshot;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private watching = false;
  /** The digest of each watched path as last loaded (or attempted): an event that changes none is ignored. */
  private readonly loaded = new Map<string, string>();
  /** Files a rejected version named that the running one does not: watched until a load succeeds. */
  private readonly awaited = new Set<string>();

  constructor(private readonly options: ReloaderOptions) {
    this.current = options.initial;
  }

  get snapshot(): LoadedSnapshot {
    return this.current;
  }

  /** Returns true when the new set is in service. */
  async reload(trigger: string): Promise<boolean> {
    const previous = this.current;
    // Noted before loading: a change made during the load is then seen as one more change, never lost.
    // A broken version is noted too, so it is not retried on every unrelated event, only once it changes.
    this.noteContents(watchedPaths(this.options.configFile, previous));
    let next: LoadedSnapshot;
    try {
      next = loadSnapshot(this.options.configFile, this.options.deps, previous);
    } catch (error) {
      // A file the new version names but the running one does not (a key added to a ConfigMap gets its
      // symlink just after the swap): its arrival is a change too, so the load is tried again then.
      if (error instanceof ConfigError && !this.loaded.has(error.file)) {
        this.loaded.set(error.file, contentDigest(error.file));
        this.awaited.add(error.file);
      }
      const where =
        error instanceof ConfigError
          ? { file: error.file, key: error.key, problem: error.problem, line: error.line }
          : { err: error };
      this.options.logger.error(
        { trigger, ...where },
        "reload rejected; keeping the last good configuration",
      );
      this.options.onResult?.("failure", previous);
      return false;
    }
    this.current = next;
    this.awaited.clear();
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
    const paths = watchedPaths(this.options.configFile, this.current);
    for (const path of paths) if (!this.loaded.has(path)) this.loaded.set(path, contentDigest(path));
    try {
      this.watchers = this.watchersFor(watchedFolders(paths));
    } catch (error) {
      // fs.watch throws on a vanished folder or exhausted inotify watches: keep serving, say so, rely on SIGHUP.
      this.options.logger.warn({ err: error }, "cannot watch the configuration files; reload with SIGHUP");
    }
  }

  /** All or nothing: a watcher made before one that throws is closed again. */
  private watchersFor(folders: readonly string[]): FSWatcher[] {
    const watchers: FSWatcher[] = [];
    try {
      for (const dir of folders) {
        // Any event: a kubelet's symlink swap never names the file (watched_files.ts).
        const watcher = watch(dir, () => this.schedule());
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

  private noteContents(paths: readonly string[]): void {
    for (const path of paths) this.loaded.set(path, contentDigest(path));
  }

  private changedSinceLoaded(): boolean {
    const paths = [...watchedPaths(this.options.configFile, this.current), ...this.awaited];
    return paths.some((path) => this.loaded.get(path) !== contentDigest(path));
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.watching && this.changedSinceLoaded()) void this.reload("file change");
    }, this.options.debounceMs ?? 250);
  }
}

/** Settings read once at start (listeners, audit file, metrics wiring): a reload says so instead of pretending. */
function restartOnlyChanges(previous: LoadedSnapshot, next: LoadedSnapshot): string[] {
  const keys = ["listen", "metrics", "audit", "http", "shutdown"] as const;
  return keys.filter((key) => !isDeepStrictEqual(previous.config[key], next.config[key]));
}
