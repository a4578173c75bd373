import { describe, expect, it } from "vitest";
import { at, dashboardExpressions, list, promqlMetricNames, readText, readYaml, tree } from "./support.js";

/** The metrics the gatekeeper exports (src/ops/metrics.ts); a panel may use nothing else. */
const COUNTERS_AND_GAUGES = [
  "gatekeeper_decisions_total",
  "gatekeeper_certificate_cache_hits_total",
  "gatekeeper_certificate_cache_misses_total",
  "gatekeeper_certificate_cache_entries",
  "gatekeeper_revocation_requests_total",
  "gatekeeper_revocation_answers_total",
  "gatekeeper_revocation_cache_total",
  "gatekeeper_certificate_expiry_timestamp_seconds",
  "gatekeeper_trust_anchor_expiry_timestamp_seconds",
  "gatekeeper_build_info",
  "gatekeeper_config_reloads_total",
  "gatekeeper_config_last_reload_success_timestamp_seconds",
  "gatekeeper_tpp_decisions_total",
];
const HISTOGRAMS = ["gatekeeper_check_duration_seconds", "gatekeeper_revocation_request_duration_seconds"];
const KNOWN_METRICS = new Set([
  ...COUNTERS_AND_GAUGES,
  ...HISTOGRAMS.flatMap((name) => [`${name}_bucket`, `${name}_sum`, `${name}_count`]),
]);

const dashboard = tree(JSON.parse(readText("deploy/grafana/dashboards/psd2-gatekeeper.json")), "dashboard");
const panels = list(dashboard.panels, "panels").filter((panel) => at(panel, "type") !== "row");
const exprs = dashboardExpressions();

describe("the PromQL metric-name reader of these tests", () => {
  it("finds metrics and skips functions, labels, groupings and ranges", () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (le, source) (rate(x_bucket{kind="a b"}[5m]))) / time() and y',
      ),
    ).toEqual(["x_bucket", "y"]);
  });
});

/** Grafana's own placeholder syntax, spelled out so that it is not read as a template literal. */
const DS_VARIABLE = ["$", "{DS}"].join("");

describe("deploy/grafana/dashboards/psd2-gatekeeper.json", () => {
  it("imports into an existing Grafana: panels query the DS data source variable (__inputs on import)", () => {
    expect(dashboard.uid).toBe("psd2-gatekeeper");
    expect(panels.length).toBeGreaterThan(0);
    const input = tree(list(dashboard.__inputs, "__inputs")[0], "__inputs[0]");
    expect(input).toMatchObject({ name: "DS", type: "datasource", pluginId: "prometheus" });
    const variables = list(at(dashboard, "templating", "list"), "templating.list");
    const named = (name: string) => variables.find((v) => at(v, "name") === name);
    expect(at(named("DS"), "type")).toBe("datasource");
    for (const name of ["job", "instance"]) expect(at(named(name), "type"), name).toBe("query");
    for (const panel of panels)
      expect(at(panel, "datasource", "uid"), String(at(panel, "title"))).toBe(DS_VARIABLE);
    // No panel or variable names the compose stack's provisioned uid: that is what broke imports elsewhere.
    const uid = at(
      readYaml("deploy/grafana/provisioning/datasources/prometheus.yml"),
      "datasources",
      0,
      "uid",
    );
    expect(readText("deploy/grafana/dashboards/psd2-gatekeeper.json")).not.toContain(
      `"uid": "${String(uid)}"`,
    );
  });

  it("filters by $job and $instance and uses $__rate_interval, never a fixed rate window", () => {
    for (const expr of exprs) {
      for (const name of promqlMetricNames(expr)) {
        expect(expr, name).toMatch(new RegExp(`${name}\\{job=~"\\$job", instance=~"\\$instance"`));
      }
      expect(expr).not.toMatch(/\[\d+[smh]\]/);
    }
    expect(exprs.join("\n")).toContain("[$__rate_interval]");
  });

  it("gives the day panels a unit of days", () => {
    const dayPanels = panels.filter((panel) => String(at(panel, "title")).startsWith("Days to"));
    expect(dayPanels.length).toBe(2);
    for (const panel of dayPanels) expect(at(panel, "fieldConfig", "defaults", "unit")).toBe("d");
  });

  it("queries only metrics the gatekeeper exports", () => {
    for (const expr of exprs) {
      const names = promqlMetricNames(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) expect(KNOWN_METRICS, `${name} in ${expr}`).toContain(name);
    }
  });

  it("shows decisions by reason, latency, OCSP health and days to QWAC expiry", () => {
    const all = exprs.join("\n");
    expect(all).toMatch(/sum by \(reason\) \(rate\(gatekeeper_decisions_total\{[^}]*decision="deny"\}/);
    expect(all).toContain("gatekeeper_check_duration_seconds_bucket");
    expect(all).toContain("gatekeeper_revocation_requests_total");
    expect(all).toContain("gatekeeper_revocation_answers_total");
    expect(all).toMatch(
      /\(min by \(tpp_id\) \(gatekeeper_certificate_expiry_timestamp_seconds\{[^}]*\}\) - time\(\)\) \/ 86400/,
    );
  });

  it("lays out panels without overlaps", () => {
    const boxes = list(dashboard.panels, "panels").map((panel) => tree(at(panel, "gridPos"), "gridPos"));
    const cells = new Set<string>();
    for (const box of boxes) {
      for (let x = Number(box.x); x < Number(box.x) + Number(box.w); x++) {
        for (let y = Number(box.y); y < Number(box.y) + Number(box.h); y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `overlap at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
      expect(Number(box.x) + Number(box.w)).toBeLessThanOrEqual(24);
    }
  });
});
