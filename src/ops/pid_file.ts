import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError, readFailure } from "../foundation/config_error.js";

/**
 * `pidFile`: lets logrotate and operators signal this process (`kill -USR2 $(cat ...)`) instead of every
 * Node process on the host (`pidof node`). Written at start, removed on a clean stop.
 */
export class PidFile {
  private constructor(private readonly path: string) {}

  static write(configFile: string, path: string, pid: number = process.pid): PidFile {
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${pid}\n`, { mode: 0o644 });
    } catch (error) {
      throw new ConfigError(configFile, "pidFile", `cannot write ${path}: ${readFailure(path, error)}`);
    }
    return new PidFile(path);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
