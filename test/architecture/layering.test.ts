import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import { importCycles, moduleGraph } from "./module_graph.js";

/**
 * The rooms of src/, lowest first: a module may import from its own layer and the layers below, never
 * from one above. foundation <- steps <- decision <- pipeline <- edges/ops/config/cli/demo <- service.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["foundation"],
  ["source", "qwac", "trust", "revocation", "policy"],
  ["decision"],
  ["pipeline"],
  ["envoy", "http", "ops", "config", "cli", "demo"],
  ["service.ts", "main.ts"],
];

/** Inside a room, the same rule between its parts: decoding a certificate knows nothing of whom to believe. */
const SUB_LAYERS: readonly (readonly string[])[] = [["source/decoding"], ["source/provenance"]];

const SRC = join(PROJECT_ROOT, "src");

function rank(layers: readonly (readonly string[])[], module: string): number | undefined {
  const index = layers.findIndex((rooms) =>
    rooms.some((room) => module === room || module.startsWith(`${room}/`)),
  );
  return index === -1 ? undefined : index;
}

function upwardImports(
  graph: ReadonlyMap<string, readonly string[]>,
  layers: readonly (readonly string[])[],
) {
  const found: string[] = [];
  for (const [module, imports] of graph) {
    const from = rank(layers, module);
    if (from === undefined) continue;
    for (const target of imports) {
      const to = rank(layers, target);
      if (to !== undefined && to > from) found.push(`${module} imports ${target}`);
    }
  }
  return found;
}

describe("the rooms of src/", () => {
  const graph = moduleGraph(SRC);

  it("puts every module in a room", () => {
    expect([...graph.keys()].filter((module) => rank(LAYERS, module) === undefined)).toEqual([]);
  });

  it("has no module importing from a layer above its own", () => {
    expect(upwardImports(graph, LAYERS)).toEqual([]);
    expect(upwardImports(graph, SUB_LAYERS)).toEqual([]);
  });

  it("has no import cycles", () => {
    expect(importCycles(graph).map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  it("would catch an upward import and a cycle (the checks themselves)", () => {
    const bad = new Map([
      ["qwac/qwac.ts", ["pipeline/gate.ts"]],
      ["pipeline/gate.ts", ["qwac/qwac.ts"]],
    ]);
    expect(upwardImports(bad, LAYERS)).toEqual(["qwac/qwac.ts imports pipeline/gate.ts"]);
    expect(importCycles(bad)).toHaveLength(1);
  });
});
