import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeResults } from "../../bench/results_file.js";

describe("bench/results.md sections", () => {
  const dir = mkdtempSync(join(tmpdir(), "gk-results-"));
  const file = join(dir, "results.md");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("replaces a bench's own sections in place and keeps every other bench's", () => {
    writeFileSync(file, "# Results\n\nrun 1\n\n## 1. Warm\n\nold warm\n\n## First sight\n\nkept\n");
    writeResults("# Results\n\nrun 2\n\n## 1. Warm\n\nnew warm\n\n## 5. Flood\n\nflood", file);
    expect(readFileSync(file, "utf8")).toBe(
      "# Results\n\nrun 2\n\n## 1. Warm\n\nnew warm\n\n## First sight\n\nkept\n\n## 5. Flood\n\nflood\n",
    );
  });

  it("writes one section without touching the preamble", () => {
    writeFileSync(file, "# Results\n\nrun 1\n\n## 4. CRL\n\nold\n");
    writeResults("## 4. CRL\n\nnew\n", file);
    expect(readFileSync(file, "utf8")).toBe("# Results\n\nrun 1\n\n## 4. CRL\n\nnew\n");
  });
});
