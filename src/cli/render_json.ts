/**
 * The `--json` output: the report object itself, indented, one document per run. Its shape is versioned
 * by its `format` field; keys are never omitted (absent values are null), so scripts can rely on them.
 */
export function renderJson(report: object): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
