import { describe, expect, it } from "vitest";
import { TurnBatch, type TurnWork } from "../src/foundation/turn_batch.js";

/** Resolves once the current turn and its check phase (where a batch drains) have run. */
function afterTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** Work that records each step; a request named in `throwIn` throws there, one answered "later" is kept. */
function recording(throwIn: { decide?: string; deliver?: string } = {}) {
  const steps: string[] = [];
  const work: TurnWork<string, number, string> = {
    decide(request, reply) {
      steps.push(`decide ${request}`);
      if (request === throwIn.decide) throw new Error(`bug in ${request}`);
      return request === "later" ? undefined : `${request}:${reply}`;
    },
    deliver(reply, answer) {
      // The answer names the reply it was decided for: a mismatch would be another request's answer.
      steps.push(answer.endsWith(`:${reply}`) ? `deliver ${answer}` : `deliver ${answer} to ${reply}`);
      if (answer.startsWith(`${throwIn.deliver}:`)) throw new Error(`bug in ${answer}`);
    },
    failed(request, reply, error) {
      steps.push(`failed ${request}:${reply} ${(error as Error).message}`);
    },
  };
  return { steps, work };
}

describe("a turn's batch", () => {
  it("answers a lone request at once, the rest of a turn after the turn's I/O: every decision, then every answer", async () => {
    const { steps, work } = recording();
    const batch = new TurnBatch(work);
    batch.add("a", 1);
    expect(steps).toEqual(["decide a", "deliver a:1"]);
    batch.add("b", 2);
    batch.add("c", 3);
    expect(steps).toHaveLength(2);
    await afterTurn();
    expect(steps.slice(2)).toEqual(["decide b", "decide c", "deliver b:2", "deliver c:3"]);
  });

  it("after a turn of several requests, makes the first of the next turn wait for its batch too", async () => {
    const { steps, work } = recording();
    const batch = new TurnBatch(work);
    batch.add("a", 1);
    batch.add("b", 2);
    await afterTurn();
    steps.length = 0;
    // Concurrent load: the first request of this turn waits, so the turn's answers leave together.
    batch.add("c", 3);
    batch.add("d", 4);
    expect(steps).toEqual([]);
    await afterTurn();
    expect(steps).toEqual(["decide c", "decide d", "deliver c:3", "deliver d:4"]);
    steps.length = 0;
    // A turn of one request, then load is gone: the next request is answered where it arrives again.
    batch.add("e", 5);
    expect(steps).toEqual([]);
    await afterTurn();
    expect(steps).toEqual(["decide e", "deliver e:5"]);
    batch.add("f", 6);
    expect(steps.slice(2)).toEqual(["decide f", "deliver f:6"]);
  });

  it("delivers nothing for a request its edge answers later itself", async () => {
    const { steps, work } = recording();
    const batch = new TurnBatch(work);
    batch.add("later", 1);
    batch.add("later", 2);
    batch.add("b", 3);
    await afterTurn();
    expect(steps).toEqual(["decide later", "decide later", "decide b", "deliver b:3"]);
  });

  it("reports a request whose decision or answer throws, and answers the rest of its turn", async () => {
    const { steps, work } = recording({ decide: "bad", deliver: "fragile" });
    const batch = new TurnBatch(work);
    batch.add("first", 0);
    batch.add("bad", 1);
    batch.add("fragile", 2);
    batch.add("good", 3);
    await afterTurn();
    expect(steps).toEqual([
      "decide first",
      "deliver first:0",
      "decide bad",
      "failed bad:1 bug in bad",
      "decide fragile",
      "decide good",
      "deliver fragile:2",
      "failed fragile:2 bug in fragile:2",
      "deliver good:3",
    ]);
  });

  it("opens the next turn for a request added while a batch runs, instead of growing this batch", async () => {
    const { steps, work } = recording();
    const batch = new TurnBatch<string, number, string>({
      ...work,
      decide(request, reply) {
        if (request === "b") batch.add("from-b", reply);
        return work.decide(request, reply);
      },
    });
    batch.add("a", 1);
    batch.add("b", 2);
    batch.add("c", 3);
    await afterTurn();
    // "from-b" opened the next turn, whose batch ran after this one.
    expect(steps).toEqual([
      "decide a",
      "deliver a:1",
      "decide b",
      "decide c",
      "deliver b:2",
      "deliver c:3",
      "decide from-b",
      "deliver from-b:2",
    ]);
  });

  it("answers up to its light-load count at once, and batches a whole turn after a heavier one", async () => {
    const { steps, work } = recording();
    const batch = new TurnBatch(work, 3);
    for (const [request, reply] of [
      ["a", 1],
      ["b", 2],
      ["c", 3],
      ["d", 4],
    ] as const)
      batch.add(request, reply);
    // The first three were light load; the fourth of the same turn waits for the batch.
    expect(steps).toEqual(["decide a", "deliver a:1", "decide b", "deliver b:2", "decide c", "deliver c:3"]);
    await afterTurn();
    expect(steps.slice(6)).toEqual(["decide d", "deliver d:4"]);
    steps.length = 0;
    // That turn held four, more than three: this turn's first request waits too.
    batch.add("e", 5);
    expect(steps).toEqual([]);
    await afterTurn();
    expect(steps).toEqual(["decide e", "deliver e:5"]);
    steps.length = 0;
    // One request in the last turn is light again.
    batch.add("f", 6);
    batch.add("g", 7);
    expect(steps).toEqual(["decide f", "deliver f:6", "decide g", "deliver g:7"]);
  });
});
