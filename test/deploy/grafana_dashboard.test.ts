import { describe, expect, it } from "vitest";
import { at, list, readText, readYaml, text, tree } from "./support.js";

/** The metrics the gatekeeper exports (the metrics issue); a panel may use nothing else. */
const COUNTERS_AND_GAUGES = [
  "gatekeeper_decisions_total",
  "gatekeeper_certificate_cache_hits_total",
  "gatekeeper_certificate_cache_misses_total",
  "gatekeeper_certificate_cache_entries",
  "gatekeeper_revocation_requests_total",
  "gatekeeper_revocation_answers_total",
  "gatekeeper_tpp_certificate_expiry_seconds",
  "gatekeeper_trust_anchor_expiry_seconds",
  "gatekeeper_config_reloads_total",
  "gatekeeper_config_last_reload_success_timestamp_seconds",
  "gatekeeper_tpp_decisions_total",
];
const HISTOGRAMS = ["gatekeeper_check_duration_seconds", "gatekeeper_revocation_request_duration_seconds"];
const KNOWN_METRICS = new Set([
  ...COUNTERS_AND_GAUGES,
  ...HISTOGRAMS.flatMap((name) => [`${name}_bucket`, `${name}_sum`, `${name}_count`]),
]);

/** PromQL words that are neither functions (those are followed by "(") nor metric names. */
const PROMQL_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"]);
const PROMQL_OPERATORS = new Set(["and", "or", "unless"]);

/**
 * The metric names a PromQL expression reads: strings, label matchers and grouping clauses removed, then
 * every identifier that is not a function call, keyword or operator.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1")
    .replace(/\[[^\]]*\]/g, "");
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const next = stripped.slice((match.index ?? 0) + word.length).trimStart();
    if (next.startsWith("(") || PROMQL_KEYWORDS.has(word) || PROMQL_OPERATORS.has(word)) continue;
    names.push(word);
  }
  return names;
}

const dashboard = tree(JSON.parse(readText("deploy/grafana/dashboards/psd2-gatekeeper.json")), "dashboard");
const panels = list(dashboard.panels, "panels").filter((panel) => at(panel, "type") !== "row");
const exprs = panels.flatMap((panel) =>
  list(at(panel, "targets"), `targets of ${at(panel, "title")}`).map((target) => text(at(target, "expr"), "expr")),
);

describe("the metric-name reader of this test", () => {
  it("finds metrics and skips functions, labels, groupings and ranges", () => {
    expect(
      metricNames('histogram_quantile(0.99, sum by (le, source) (rate(x_bucket{kind="a b"}[5m]))) / time() and y'),
    ).toEqual(["x_bucket", "y"]);
  });
});

describe("deploy/grafana/dashboards/psd2-gatekeeper.json", () => {
  it("is a dashboard with a stable uid and panels that query the provisioned data source", () => {
    expect(dashboard.uid).toBe("psd2-gatekeeper");
    expect(panels.length).toBeGreaterThan(0);
    const uid = at(readYaml("deploy/grafana/provisioning/datasources/prometheus.yml"), "datasources", 0, "uid");
    for (const panel of panels) expect(at(panel, "datasource", "uid"), String(at(panel, "title"))).toBe(uid);
  });

  it("queries only metrics the gatekeeper exports", () => {
    for (const expr of exprs) {
      const names = metricNames(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) expect(KNOWN_METRICS, `${name} in ${expr}`).toContain(name);
    }
  });

  it("shows decisions by reason, latency, OCSP health and days to QWAC expiry", () => {
    const all = exprs.join("\n");
    expect(all).toMatch(/sum by \(reason\) \(rate\(gatekeeper_decisions_total\{decision="deny"\}/);
    expect(all).toContain("gatekeeper_check_duration_seconds_bucket");
    expect(all).toContain("gatekeeper_revocation_requests_total");
    expect(all).toContain("gatekeeper_revocation_answers_total");
    expect(all).toMatch(/gatekeeper_tpp_certificate_expiry_seconds\) \/ 86400/);
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
