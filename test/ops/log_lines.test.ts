import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Histogram, Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { batchedWriter } from "../../src/ops/batched_writer.js";
import { isoTime } from "../../src/ops/log.js";
import { TallyHistogram } from "../../src/ops/tally_histogram.js";

describe("the log line's time", () => {
  it.each([
    "2026-12-03T06:20:44.000Z",
    "2026-12-03T06:20:44.007Z",
    "2026-12-03T06:20:44.042Z",
    "2026-12-03T06:20:44.999Z",
    "2026-12-31T23:59:59.999Z",
    "2027-01-01T00:00:00.001Z",
  ])("is pino's ISO 8601 time at %s", (iso) => {
    const ms = Date.parse(iso);
    expect(isoTime(ms)).toBe(`,"time":"${new Date(ms).toISOString()}"`);
  });

  it("stays right when the clock goes back to an earlier second", () => {
    const later = Date.parse("2026-12-03T06:20:45.500Z");
    const earlier = Date.parse("2026-12-03T06:20:44.250Z");
    expect(isoTime(later)).toBe(`,"time":"2026-12-03T06:20:45.500Z"`);
    expect(isoTime(earlier)).toBe(`,"time":"2026-12-03T06:20:44.250Z"`);
  });
});

describe("the Check duration histogram", () => {
  it("exposes what prom-client's Histogram exposes for the same observations", async () => {
    const buckets = [0.0001, 0.001, 0.01, 0.1];
    const ours = new Registry();
    const theirs = new Registry();
    const tally = new TallyHistogram({ name: "h_seconds", help: "h", buckets, registers: [ours] });
    const histogram = new Histogram({ name: "h_seconds", help: "h", buckets, registers: [theirs] });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    for (const value of [0.00005, 0.0001, 0.0004, 0.002, 0.002, 0.05, 0.5, 3]) {
      tally.observe(value);
      histogram.observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    ours.resetMetrics();
    theirs.resetMetrics();
    histogram.zero({});
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});

describe("the batched stdout writer", () => {
  const dir = mkdtempSync(join(tmpdir(), "gk-batch-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes whole batches in order, and the rest when flushed", () => {
    const file = join(dir, "log");
    const writer = batchedWriter(openSync(file, "w"), { batchChars: 20, flushIntervalMs: 60_000 });
    writer.write("one 456789\n");
    expect(readFileSync(file, "utf8")).toBe("");
    writer.write("two 456789\n");
    expect(readFileSync(file, "utf8")).toBe("one 456789\ntwo 456789\n");
    writer.write("three ünïcode\n");
    let flushed = false;
    writer.flush(() => {
      flushed = true;
    });
    expect(flushed).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("one 456789\ntwo 456789\nthree ünïcode\n");
  });

  it("makes a late line when its batch is written, in the place it was logged", () => {
    const file = join(dir, "late");
    const writer = batchedWriter(openSync(file, "w"), { batchChars: 1000, flushIntervalMs: 60_000 });
    let made = 0;
    writer.write("first\n");
    writer.writeLate({ chars: 7, text: () => `late ${++made}\n` });
    writer.write("last\n");
    expect(made).toBe(0);
    writer.flushSync();
    expect(made).toBe(1);
    expect(readFileSync(file, "utf8")).toBe("first\nlate 1\nlast\n");
  });

  it("hands every line over, whole and in order, to a pipe whose reader stops reading for a while", async () => {
    const count = 20_000;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "../support/log_writer_child.ts"), String(count)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const chunks: Buffer[] = [];
    try {
      // 20,000 lines are about 1.7 MB, many times what a pipe holds: the writer meets a full pipe
      // (a refused write, then partial ones) and has to wait for the reader.
      child.stdout.pause();
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
      child.stdout.resume();
      expect(await closed).toBe(0);
    } finally {
      clearTimeout(killer);
      child.kill("SIGKILL");
    }
    const lines = Buffer.concat(chunks).toString("utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(count);
    const wrong = lines.findIndex((line, i) => line !== `line ${i} société ${"x".repeat(60)}`);
    expect(wrong).toBe(-1);
  });
});
