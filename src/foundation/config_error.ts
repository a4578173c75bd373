/**
 * A configuration, policy or trust file that cannot be used. Always names the file, the key (a dotted
 * path, or "" for the whole file) and what is wrong, so an operator can fix it without reading code.
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key === "" ? "" : `${key}: `}${problem}`);
    this.name = "ConfigError";
  }
}
