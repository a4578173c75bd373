import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Decision } from "../decision/decision.js";
import { DENY_REASONS, type DenyReason } from "../foundation/reasons.js";
import type { RevocationEvent } from "../revocation/events.js";
import { Tally, type TallySlot } from "./tally.js";
import { TallyHistogram } from "./tally_histogram.js";

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
}

type Verdict = "allow" | "deny" | "dry-run";
type RevocationCacheResult = Extract<RevocationEvent, { type: "cache" }>["result"];

/**
 * The service's Prometheus metrics on their own registry. Every label comes from a closed set (the deny
 * reasons, revocation outcomes) or a bounded one (recently seen TPPs, capped), so a hostile client cannot
 * grow the series count. The per-Check counters go through a Tally (slots made once, counts handed to
 * prom-client at scrape time), and the Check duration through a TallyHistogram, so recording a decision is
 * a few number increments.
 */
export class GatekeeperMetrics {
  readonly registry = new Registry();
  private readonly decisions = new Tally({
    name: "gatekeeper_decisions_total",
    help: "Check decisions by decision and reason (allows carry no reason label).",
    labelNames: ["decision", "reason"],
    registers: [this.registry],
  });
  private readonly duration = new TallyHistogram({
    name: "gatekeeper_check_duration_seconds",
    help: "Time from receiving a Check to answering it.",
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5],
    registers: [this.registry],
  });
  private readonly cacheHits = new Tally({
    name: "gatekeeper_certificate_cache_hits_total",
    help: "Checks answered from the certificate (parse + chain) cache.",
    registers: [this.registry],
  });
  private readonly cacheMisses = new Tally({
    name: "gatekeeper_certificate_cache_misses_total",
    help: "Checks that had to parse and verify a certificate.",
    registers: [this.registry],
  });
  private readonly cacheHit = this.cacheHits.slot();
  private readonly cacheMiss = this.cacheMisses.slot();
  private readonly revocationRequests = new Counter({
    name: "gatekeeper_revocation_requests_total",
    help: "OCSP / CRL fetches by source and outcome (answer = fetched and verified).",
    labelNames: ["source", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly revocationLatency = new Histogram({
    name: "gatekeeper_revocation_request_duration_seconds",
    help: "OCSP / CRL fetch latency.",
    labelNames: ["source"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  private readonly revocationCache = new Tally({
    name: "gatekeeper_revocation_cache_total",
    help: "Revocation cache lookups by result (hit, refresh-ahead, miss, negative).",
    labelNames: ["result"],
    registers: [this.registry],
  });
  /** One lookup per Check with revocation on: counted in slots like the decisions. */
  private readonly revocationCacheSlots: Record<RevocationCacheResult, TallySlot> = {
    hit: this.revocationCache.slot({ result: "hit" }),
    "refresh-ahead": this.revocationCache.slot({ result: "refresh-ahead" }),
    miss: this.revocationCache.slot({ result: "miss" }),
    negative: this.revocationCache.slot({ result: "negative" }),
  };
  private readonly revocationAnswers = new Counter({
    name: "gatekeeper_revocation_answers_total",
    help: "Revocation answers served without a fresh verified response: stale (stale-if-error), soft (fail-open), hard (denied).",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  /**
   * notAfter as Unix time, like cert-manager's and the blackbox exporter's expiry gauges: the value is a
   * fact about the certificate, so it is set once when the certificate is first seen and alerts compute
   * `... - time()` themselves (no countdown refreshed by a timer).
   */
  readonly tppExpiry = new Gauge({
    name: "gatekeeper_certificate_expiry_timestamp_seconds",
    help: "notAfter (Unix time) of recently seen TPP certificates (bounded set).",
    labelNames: ["tpp_id", "cert_sha256"] as const,
    registers: [this.registry],
  });
  readonly trustExpiry = new Gauge({
    name: "gatekeeper_trust_anchor_expiry_timestamp_seconds",
    help: "notAfter (Unix time) of each configured trust anchor and intermediate.",
    labelNames: ["kind", "subject"] as const,
    registers: [this.registry],
  });
  /** 1 for the mode the service runs in, 0 for the others: dry-run and revocation off are visible. */
  readonly mode = new Gauge({
    name: "gatekeeper_mode",
    help: "The running mode: enforce or dry-run, and revocation-on or revocation-off (1 = active).",
    labelNames: ["mode"] as const,
    registers: [this.registry],
  });
  private readonly buildInfo = new Gauge({
    name: "gatekeeper_build_info",
    help: "Always 1; the labels say which build runs.",
    labelNames: ["version", "revision"] as const,
    registers: [this.registry],
  });
  private readonly internalErrors = new Counter({
    name: "gatekeeper_internal_errors_total",
    help: "Checks answered with an internal error (a bug: gRPC INTERNAL / HTTP 500, denied by the proxy).",
    registers: [this.registry],
  });
  private readonly reloads = new Counter({
    name: "gatekeeper_config_reloads_total",
    help: "Configuration reloads by result.",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  private readonly lastReloadSuccessful = new Gauge({
    name: "gatekeeper_config_last_reload_successful",
    help: "1 if the last configuration load or reload succeeded, 0 while the last attempt was rejected.",
    registers: [this.registry],
  });
  private readonly lastReload = new Gauge({
    name: "gatekeeper_config_last_reload_success_timestamp_seconds",
    help: "Unix time of the last configuration set that loaded successfully.",
    registers: [this.registry],
  });
  private readonly tppDecisions = new Tally({
    name: "gatekeeper_tpp_decisions_total",
    help: "Decisions per TPP organisation id (bounded to recently seen TPPs).",
    labelNames: ["tpp_id", "decision"],
    registers: [this.registry],
  });
  /** Slots per TPP id; an entry goes when the TPP leaves the bounded recently-seen set (forgetTpp). */
  private readonly tppSlots = new Map<string, Record<Verdict, TallySlot>>();
  /** No `reason=""` on allows (an empty label is the same as no label in PromQL and only confuses). */
  private readonly allows = this.decisions.slot({ decision: "allow" });
  private readonly byReason = slots((reason) => this.decisions.slot({ decision: "deny", reason }));
  private readonly dryRunByReason = slots((reason) => this.decisions.slot({ decision: "dry-run", reason }));

  constructor(options: { readonly processMetrics: boolean; readonly build?: BuildInfo }) {
    const build = options.build ?? { version: "unknown", revision: "unknown" };
    this.buildInfo.labels(build.version, build.revision).set(1);
    if (options.processMetrics)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** Registers a gauge read at scrape time (e.g. a cache's size). */
  gaugeFrom(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  decision(decision: Decision, seconds: number, dryRunReason: DenyReason | undefined): void {
    this.duration.observe(seconds);
    const verdict: Verdict = decision.allowed ? (dryRunReason === undefined ? "allow" : "dry-run") : "deny";
    if (verdict === "allow") this.decisions.add(this.allows);
    else if (verdict === "dry-run") this.decisions.add(this.dryRunByReason[dryRunReason!]);
    else if (!decision.allowed) this.decisions.add(this.byReason[decision.reason]);
    if (decision.tpp !== undefined)
      this.tppDecisions.add(this.tppSlot(decision.tpp.organizationIdentifier)[verdict]);
  }

  private tppSlot(tppId: string): Record<Verdict, TallySlot> {
    let known = this.tppSlots.get(tppId);
    if (known === undefined) {
      const slot = (decision: Verdict) => this.tppDecisions.slot({ tpp_id: tppId, decision });
      known = { allow: slot("allow"), deny: slot("deny"), "dry-run": slot("dry-run") };
      this.tppSlots.set(tppId, known);
    }
    return known;
  }

  /** Called when a TPP drops out of the bounded recently-seen set, so its series go away too. */
  forgetTpp(tppId: string, certSha256: string, lastOfTpp: boolean): void {
    this.tppExpiry.remove(tppId, certSha256);
    if (!lastOfTpp) return;
    const known = this.tppSlots.get(tppId);
    if (known !== undefined) for (const slot of Object.values(known)) this.tppDecisions.remove(slot);
    this.tppSlots.delete(tppId);
  }

  certificateCache(hit: boolean): void {
    if (hit) this.cacheHits.add(this.cacheHit);
    else this.cacheMisses.add(this.cacheMiss);
  }

  revocation(event: RevocationEvent): void {
    switch (event.type) {
      case "cache":
        this.revocationCache.add(this.revocationCacheSlots[event.result]);
        return;
      case "fetch":
        this.revocationRequests.labels(event.source, event.outcome).inc();
        this.revocationLatency.labels(event.source).observe(event.durationMs / 1000);
        return;
      case "fallback":
        if (event.result !== "still-valid") this.revocationAnswers.labels(event.result).inc();
        return;
    }
  }

  /** A Check that ended in an internal error (see the servers' "check failed" line). */
  internalError(): void {
    this.internalErrors.inc();
  }

  setMode(dryRun: boolean, revocation: boolean): void {
    this.mode.labels("enforce").set(dryRun ? 0 : 1);
    this.mode.labels("dry-run").set(dryRun ? 1 : 0);
    this.mode.labels("revocation-on").set(revocation ? 1 : 0);
    this.mode.labels("revocation-off").set(revocation ? 0 : 1);
  }

  reload(result: "success" | "failure", at: Date): void {
    this.reloads.labels(result).inc();
    this.lastReloadSuccessful.set(result === "success" ? 1 : 0);
    if (result === "success") this.lastReload.set(at.getTime() / 1000);
  }
}

function slots(make: (reason: DenyReason) => TallySlot): Record<DenyReason, TallySlot> {
  return Object.fromEntries(DENY_REASONS.map((reason) => [reason, make(reason)])) as Record<
    DenyReason,
    TallySlot
  >;
}
