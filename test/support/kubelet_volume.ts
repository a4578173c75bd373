import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A ConfigMap or Secret volume as the kubelet's AtomicWriter maintains it:
 *
 *   <dir>/name                      -> ..data/name        (one symlink per key, never touched again)
 *   <dir>/..data                    -> ..2026_12_02_20_00_00.1
 *   <dir>/..2026_12_02_20_00_00.1/  the files of this version
 *
 * An update writes a new timestamped folder, points `..data_tmp` at it, renames `..data_tmp` over `..data`
 * (the atomic step) and then removes the old folder. No event ever names a file itself.
 */
export class KubeletVolume {
  private version = 0;
  private names: ReadonlySet<string>;

  constructor(
    readonly dir: string,
    files: Readonly<Record<string, string>>,
  ) {
    mkdirSync(dir, { recursive: true });
    const first = this.writeVersion(files);
    symlinkSync(first, join(dir, "..data"));
    for (const name of Object.keys(files)) symlinkSync(join("..data", name), join(dir, name));
    this.names = new Set(Object.keys(files));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /**
   * One kubelet sync, in AtomicWriter's order: the new folder, the `..data_tmp` symlink renamed over
   * `..data`, symlinks for keys that are new, removal of those for keys that are gone, the old folder removed.
   */
  update(files: Readonly<Record<string, string>>): void {
    const old = readlinkSync(join(this.dir, "..data"));
    const next = this.writeVersion(files);
    symlinkSync(next, join(this.dir, "..data_tmp"));
    renameSync(join(this.dir, "..data_tmp"), join(this.dir, "..data"));
    for (const name of Object.keys(files)) {
      if (!this.names.has(name)) symlinkSync(join("..data", name), join(this.dir, name));
    }
    for (const name of this.names) if (!(name in files)) rmSync(join(this.dir, name));
    this.names = new Set(Object.keys(files));
    rmSync(join(this.dir, old), { recursive: true, force: true });
  }

  private writeVersion(files: Readonly<Record<string, string>>): string {
    this.version += 1;
    // The kubelet's format: ..<UTC timestamp>.<random>; the counter keeps the names distinct.
    const name = `..2026_12_02_20_00_00.${122 + this.version}`;
    mkdirSync(join(this.dir, name));
    for (const [file, content] of Object.entries(files)) writeFileSync(join(this.dir, name, file), content);
    return name;
  }
}
