/** Where in a file a problem is: 1-based, as an editor shows it. */
export interface FilePosition {
  readonly line: number;
  readonly column?: number;
}

/**
 * A configuration, policy or trust file that cannot be used. Always names the file, the key (a dotted
 * path, or "" for the whole file) and what is wrong, and the line when the file has one for it, so an
 * operator can fix it without reading code.
 */
export class ConfigError extends Error {
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
    at?: FilePosition,
  ) {
    super(`${file}: ${key === "" ? "" : `${key}: `}${problem}${at === undefined ? "" : ` (${shownAt(at)})`}`);
    this.name = "ConfigError";
    this.line = at?.line;
    this.column = at?.column;
  }
}

function shownAt(at: FilePosition): string {
  return at.column === undefined ? `line ${at.line}` : `line ${at.line}, column ${at.column}`;
}
