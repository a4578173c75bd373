import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readText, repoPath } from "./support.js";

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

/** The Dockerfile as stages of instructions: continuation lines joined, comments dropped. */
function parseDockerfile(source: string): Stage[] {
  const logical = source
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const stages: { name: string; from: string; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (keyword.toUpperCase() === "FROM") {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: match?.[1] ?? "", name: match?.[2] ?? String(stages.length), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const stages = parseDockerfile(readText("Dockerfile"));
const byName = new Map(stages.map((stage) => [stage.name, stage]));

/** A stage and the stages it is built FROM, base first: what ends up in its image. */
function lineage(stage: Stage): Stage[] {
  const parent = byName.get(stage.from);
  return parent === undefined ? [stage] : [...lineage(parent), stage];
}

const runtime = stages.at(-1);
const runtimeLineage = runtime === undefined ? [] : lineage(runtime);
const runtimeInstructions = runtimeLineage.flatMap((stage) => stage.instructions);
const of = (keyword: string) => runtimeInstructions.filter((instruction) => instruction.keyword === keyword);

describe("Dockerfile", () => {
  it("is multi-stage, with the runtime image as the default (last) stage", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime?.name).toBe("runtime");
  });

  it("compiles TypeScript in a build stage that the runtime image does not inherit", () => {
    const build = byName.get("build");
    expect(build?.instructions.some((i) => i.keyword === "RUN" && /npm run build/.test(i.args))).toBe(true);
    expect(runtimeLineage.map((stage) => stage.name)).not.toContain("build");
    // From the build stage only the compiled output is taken.
    const fromBuild = runtimeInstructions.filter(
      (i) => i.keyword === "COPY" && i.args.includes("--from=build"),
    );
    expect(fromBuild.map((i) => i.args)).toEqual(["--from=build /src/dist/src ./dist/src"]);
  });

  it("installs production dependencies only in the runtime image", () => {
    const installs = of("RUN").filter((i) => /\bnpm (ci|install|i)\b/.test(i.args));
    expect(installs.length).toBe(1);
    expect(installs[0]?.args).toMatch(/npm ci --omit=dev/);
  });

  it("runs as a user other than root", () => {
    const user = of("USER").at(-1)?.args;
    expect(user).toBeDefined();
    expect(["root", "0", "0:0"]).not.toContain(user);
  });

  it("has a health check whose script is in the image", () => {
    const healthcheck = of("HEALTHCHECK").at(-1)?.args ?? "";
    const script = /"(deploy\/healthcheck\/[^"]+)"/.exec(healthcheck)?.[1];
    expect(script).toBeDefined();
    expect(existsSync(repoPath(script ?? ""))).toBe(true);
    expect(of("COPY").some((i) => i.args === "deploy/healthcheck ./deploy/healthcheck")).toBe(true);
  });

  it("starts the compiled service with a config file argument", () => {
    expect(of("ENTRYPOINT").at(-1)?.args).toBe('["node", "dist/src/main.js"]');
    expect(of("CMD").at(-1)?.args).toBe('["/etc/gatekeeper/config.yaml"]');
  });

  it("copies only repository files that exist and .dockerignore lets through", () => {
    const ignored = readText(".dockerignore")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    const sources = stages
      .flatMap((stage) => stage.instructions)
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from="))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(repoPath(source)), source).toBe(true);
      expect(ignored, `${source} is excluded by .dockerignore`).not.toContain(source.split("/")[0]);
    }
  });

  it("keeps keys, certificates and local builds out of the build context", () => {
    const ignored = readText(".dockerignore").split("\n");
    for (const entry of ["node_modules", "dist", "demo", ".git", "**/*.key", "**/*.pem"])
      expect(ignored).toContain(entry);
  });
});
