import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/project_root.js";

const RULES_DIR = join(PROJECT_ROOT, "deploy", "prometheus");
const promtool = spawnSync("promtool", ["--version"]).status === 0;
// CI installs promtool (Debian package `prometheus`, see .ci/run): there the rules must be tested.
const skip = !promtool && process.env.CI === undefined;

describe.skipIf(skip)("the shipped Prometheus alert rules", () => {
  it("pass promtool check rules", () => {
    const out = execFileSync("promtool", ["check", "rules", "alerts.yml"], {
      cwd: RULES_DIR,
      encoding: "utf8",
    });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("fire as specified in promtool unit tests (QWAC expiry bands, anchors, OCSP, deny rate, reload, down)", () => {
    const result = spawnSync("promtool", ["test", "rules", "alerts.test.yml"], {
      cwd: RULES_DIR,
      encoding: "utf8",
    });
    expect(result.stdout + result.stderr).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });
});
