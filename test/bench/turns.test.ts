import { describe, expect, it } from "vitest";
import type { Sample } from "../../bench/h2load.js";
import { noiseFloor, turns } from "../../bench/turns.js";

/** A drive that records which port each turn went to and answers with that port's throughput. */
function recordingDrive(rps: Record<number, number>): {
  drive: (port: number) => Promise<Sample>;
  driven: number[];
} {
  const driven: number[] = [];
  const drive = async (port: number): Promise<Sample> => {
    driven.push(port);
    return { rps: rps[port] ?? 0, errors: 0, latenciesUs: [100] };
  };
  return { drive, driven };
}

describe("bench turns over several processes", () => {
  it("gives each pair of rounds (one of each order) to the next process of each side", async () => {
    const { drive, driven } = recordingDrive({ 1: 90, 2: 80, 3: 100, 4: 100 });
    const pair = await turns(drive, 6, [1, 2], [3, 4], 16);
    // round 0: bare first; round 1: service first; then the next processes; then round robin again
    expect(driven).toEqual([3, 1, 1, 3, 4, 2, 2, 4, 3, 1, 1, 3]);
    expect(pair.ratios).toEqual([0.8, 0.8, 0.9, 0.9, 0.9, 0.9]);
    expect(pair.service.rps).toBe(Math.round((90 * 4 + 80 * 2) / 6));
  });

  it("drives a single server as before", async () => {
    const { drive, driven } = recordingDrive({ 1: 50, 3: 100 });
    const pair = await turns(drive, 2, 1, 3, 4);
    expect(driven).toEqual([3, 1, 1, 3]);
    expect(pair.ratios).toEqual([0.5, 0.5]);
  });

  it("measures the noise floor as the second bare process against the first, and only with two", async () => {
    const { drive, driven } = recordingDrive({ 3: 100, 4: 95 });
    expect(await noiseFloor(drive, 2, [3, 4], 16)).toContain("concurrency 16: 95% (95%–95%)");
    expect(driven).toEqual([3, 4, 4, 3]);
    expect(await noiseFloor(drive, 2, [3], 16)).toBeUndefined();
  });
});
