/**
 * bench/results.md is written by several benches, each owning the sections that start with its `## `
 * headings. Writing one bench's sections must leave every other bench's sections as they were.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const RESULTS_FILE = join(import.meta.dirname, "results.md");

interface Section {
  readonly heading: string;
  readonly text: string;
}

/** Splits a results text into its preamble (before the first `## `) and its `## ` sections. */
function split(text: string): { preamble: string; sections: Section[] } {
  const parts = `\n${text}`.split("\n## ");
  const preamble = (parts.shift() ?? "").slice(1);
  const sections = parts.map((part) => {
    const text = `## ${part}`.trimEnd();
    return { heading: text.split("\n", 1)[0] ?? "", text };
  });
  return { preamble, sections };
}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/**
 * Writes `text` (a preamble and/or `## ` sections) into the results file: a section whose heading is in
 * `text` replaces the one of that heading in place, new ones are appended, and the file's other sections
 * stay. A non-empty preamble in `text` replaces the file's preamble.
 */
export function writeResults(text: string, file: string = RESULTS_FILE): void {
  const current = split(read(file));
  const update = split(text);
  const byHeading = new Map(update.sections.map((section) => [section.heading, section.text]));
  const kept = current.sections.map((section) => byHeading.get(section.heading) ?? section.text);
  const known = new Set(current.sections.map((section) => section.heading));
  const added = update.sections.filter((section) => !known.has(section.heading)).map((s) => s.text);
  const preamble = (update.preamble.trim() === "" ? current.preamble : update.preamble).trimEnd();
  const body = [...kept, ...added].join("\n\n");
  writeFileSync(file, `${preamble === "" ? "" : `${preamble}\n\n`}${body}\n`);
}
