import { describe, expect, it } from "vitest";
import { TurnBatch } from "../src/foundation/turn_batch.js";

/** Resolves once the current turn and its check phase (where a batch drains) have run. */
function afterTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

describe("a turn's batch", () => {
  it("handles the first request of a turn at once and the rest of the turn after its I/O, in order", async () => {
    const handled: string[] = [];
    const batch = new TurnBatch<string, number>(
      (request, reply) => handled.push(`${request}:${reply}`),
      () => handled.push("error"),
    );
    batch.add("a", 1);
    expect(handled).toEqual(["a:1"]);
    batch.add("b", 2);
    batch.add("c", 3);
    expect(handled).toEqual(["a:1"]);
    await afterTurn();
    expect(handled).toEqual(["a:1", "b:2", "c:3"]);
    // A new turn starts with a request handled at once again.
    batch.add("d", 4);
    expect(handled).toEqual(["a:1", "b:2", "c:3", "d:4"]);
  });

  it("keeps answering the rest of a turn when one request's handler throws, and reports that one", async () => {
    const handled: string[] = [];
    const failures: [string, number, unknown][] = [];
    const bug = new Error("bug");
    const batch = new TurnBatch<string, number>(
      (request, reply) => {
        if (request === "bad") throw bug;
        handled.push(`${request}:${reply}`);
      },
      (request, reply, error) => failures.push([request, reply, error]),
    );
    batch.add("bad", 1);
    batch.add("bad", 2);
    batch.add("good", 3);
    await afterTurn();
    expect(handled).toEqual(["good:3"]);
    expect(failures).toEqual([
      ["bad", 1, bug],
      ["bad", 2, bug],
    ]);
  });

  it("opens the next turn for a request added while a batch runs, instead of growing this batch", async () => {
    const handled: string[] = [];
    const batch: TurnBatch<string, number> = new TurnBatch<string, number>(
      (request, reply) => {
        handled.push(request);
        if (request === "b") batch.add("from-b", reply);
      },
      () => handled.push("error"),
    );
    batch.add("a", 1);
    batch.add("b", 2);
    batch.add("c", 3);
    await afterTurn();
    // "from-b" opened a new turn: handled at once, right where it was added.
    expect(handled).toEqual(["a", "b", "from-b", "c"]);
  });
});
