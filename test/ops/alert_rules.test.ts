import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";

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

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, "")
    .replace(/ /g, "-");

describe("the alert rules' conventions", () => {
  const rules = readFileSync(join(RULES_DIR, "alerts.yml"), "utf8");
  const operations = readFileSync(join(PROJECT_ROOT, "docs", "operations.md"), "utf8");
  const anchors = new Set([...operations.matchAll(/^#{2,4} (.+)$/gm)].map((m) => anchorOf(m[1] ?? "")));

  it.each(["alerts.yml", "trusted-lists-alerts.yml"])(
    "give every alert of %s a runbook_url to an existing docs/operations.md section",
    (file) => {
      const alerts = readFileSync(join(RULES_DIR, file), "utf8")
        .split(/\n\s+- alert: /)
        .slice(1);
      expect(alerts.length).toBeGreaterThan(3);
      for (const alert of alerts) {
        const name = alert.split("\n")[0];
        const url = /runbook_url: "docs\/operations\.md#([a-z0-9-]+)"/.exec(alert)?.[1];
        expect(url, `${name} has a runbook_url`).toBeDefined();
        expect(anchors.has(url ?? ""), `${name}: section #${url} exists`).toBe(true);
      }
    },
  );

  it("alert on the reload gauge, count the down job as absent too, and read expiry from timestamps", () => {
    expect(rules).toContain("gatekeeper_config_last_reload_successful == 0");
    expect(rules).not.toMatch(/increase\(gatekeeper_config_reloads_total/);
    expect(rules).toContain('absent(up{job="gatekeeper"})');
    expect(rules).toContain("alert: TppQwacExpired");
    expect(rules).toContain("gatekeeper_internal_errors_total");
    expect(rules).not.toMatch(/_expiry_seconds\b/);
    expect(operations).toContain("## Scrape job");
  });
});
