import { describe, expect, it } from "vitest";
import type { Decision } from "../../src/decision/decision.js";
import type { TppIdentity } from "../../src/decision/identity.js";
import { GatekeeperMetrics } from "../../src/ops/metrics.js";

function tpp(organizationIdentifier: string): TppIdentity {
  return {
    organizationIdentifier,
    organizationName: undefined,
    roles: ["PSP_AI"],
    unknownRoleOids: [],
    ncaId: "FR-ACPR",
    ncaName: "ACPR",
    certSha256: "00".repeat(32),
    certSerial: "01",
    certIssuer: "CN=Test CA",
    certNotAfter: "2030-01-01T00:00:00.000Z",
  };
}

const allow = (identity: TppIdentity): Decision => ({
  allowed: true,
  route: { kind: "roles", ruleId: "r", anyOf: ["PSP_AI"], mode: "enforce" },
  tpp: identity,
  identityHeaders: [],
  revocation: undefined,
  certificateVia: "peer",
  path: "/v1/accounts",
  wouldDeny: undefined,
});

const deny = (identity: TppIdentity | undefined): Decision => ({
  allowed: false,
  reason: identity === undefined ? "CERT_MISSING" : "ROLE_NOT_ALLOWED",
  detail: undefined,
  route: undefined,
  tpp: identity,
  identityHeaders: [],
  revocation: undefined,
  certificateVia: undefined,
  path: "/v1/payments/sepa",
});

describe("decision metrics, counted in slots and handed to Prometheus at scrape time", () => {
  it("exposes every decision counted since the last scrape, and keeps counting after it", async () => {
    const metrics = new GatekeeperMetrics({ processMetrics: false });
    const a = tpp("PSDFR-ACPR-1");
    for (let i = 0; i < 3; i++) metrics.decision(allow(a), 0.0001, undefined);
    metrics.decision(deny(a), 0.0001, undefined);
    metrics.decision(deny(undefined), 0.0001, undefined);
    metrics.certificateCache(true);
    let body = await metrics.registry.metrics();
    expect(body).toContain('gatekeeper_decisions_total{decision="allow"} 3');
    expect(body).toContain('gatekeeper_decisions_total{decision="deny",reason="ROLE_NOT_ALLOWED"} 1');
    expect(body).toContain('gatekeeper_decisions_total{decision="deny",reason="CERT_MISSING"} 1');
    expect(body).toContain('gatekeeper_tpp_decisions_total{tpp_id="PSDFR-ACPR-1",decision="allow"} 3');
    expect(body).toContain("gatekeeper_certificate_cache_hits_total 1");
    expect(body).toContain("gatekeeper_check_duration_seconds_count 5");
    expect(body).not.toContain('reason=""');

    metrics.decision(allow(a), 0.0001, undefined);
    body = await metrics.registry.metrics();
    expect(body).toContain('gatekeeper_decisions_total{decision="allow"} 4');
    expect(body).toContain('gatekeeper_tpp_decisions_total{tpp_id="PSDFR-ACPR-1",decision="allow"} 4');
  });

  it("counts revocation cache lookups by result across scrapes", async () => {
    const metrics = new GatekeeperMetrics({ processMetrics: false });
    metrics.revocation({ type: "cache", result: "miss" });
    metrics.revocation({ type: "cache", result: "hit" });
    metrics.revocation({ type: "cache", result: "hit" });
    let body = await metrics.registry.metrics();
    expect(body).toContain('gatekeeper_revocation_cache_total{result="hit"} 2');
    expect(body).toContain('gatekeeper_revocation_cache_total{result="miss"} 1');
    expect(body).not.toContain('gatekeeper_revocation_cache_total{result="negative"}');
    metrics.revocation({ type: "cache", result: "hit" });
    metrics.revocation({ type: "cache", result: "refresh-ahead" });
    body = await metrics.registry.metrics();
    expect(body).toContain('gatekeeper_revocation_cache_total{result="hit"} 3');
    expect(body).toContain('gatekeeper_revocation_cache_total{result="refresh-ahead"} 1');
  });

  it("drops a forgotten TPP's series, including counts not yet scraped, and starts afresh if it returns", async () => {
    const metrics = new GatekeeperMetrics({ processMetrics: false });
    const a = tpp("PSDFR-ACPR-2");
    metrics.decision(allow(a), 0.0001, undefined);
    await metrics.registry.metrics();
    metrics.decision(allow(a), 0.0001, undefined);
    metrics.forgetTpp("PSDFR-ACPR-2", a.certSha256, true);
    let body = await metrics.registry.metrics();
    expect(body).not.toContain('tpp_id="PSDFR-ACPR-2"');
    expect(body).toContain('gatekeeper_decisions_total{decision="allow"} 2');

    metrics.decision(allow(a), 0.0001, undefined);
    body = await metrics.registry.metrics();
    expect(body).toContain('gatekeeper_tpp_decisions_total{tpp_id="PSDFR-ACPR-2",decision="allow"} 1');
  });
});

describe("service-level gauges", () => {
  it("exports build info, the running mode, the last reload result and internal errors", async () => {
    const metrics = new GatekeeperMetrics({
      processMetrics: false,
      build: { version: "1.2.3", revision: "abc123" },
    });
    metrics.setMode(true, false);
    metrics.reload("success", new Date(0));
    let body = await metrics.registry.metrics();
    expect(body).toContain('gatekeeper_build_info{version="1.2.3",revision="abc123"} 1');
    expect(body).toContain('gatekeeper_mode{mode="dry-run"} 1');
    expect(body).toContain('gatekeeper_mode{mode="enforce"} 0');
    expect(body).toContain('gatekeeper_mode{mode="revocation-off"} 1');
    expect(body).toContain("gatekeeper_config_last_reload_successful 1");
    expect(body).toContain("gatekeeper_internal_errors_total 0");
    metrics.reload("failure", new Date(1000));
    metrics.internalError();
    body = await metrics.registry.metrics();
    // Stays 0 until a reload succeeds: the alert holds while the bad file is there, not 15 minutes.
    expect(body).toContain("gatekeeper_config_last_reload_successful 0");
    expect(body).toContain("gatekeeper_internal_errors_total 1");
  });
});
