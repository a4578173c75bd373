import { createHash } from "node:crypto";
import { Counter, Gauge, type Registry } from "prom-client";
import { isLotlPointer } from "./lotl.js";
import type { TrustedListsView } from "./store.js";

const seconds = (d: Date | undefined): number | undefined =>
  d === undefined ? undefined : Math.floor(d.getTime() / 1000);

/**
 * Per-territory series, read from the current view at scrape time (no work on a Check). The territory
 * label comes from the LOTL's pointers: a bounded set (about 32 codes). Alert rules:
 * deploy/prometheus/trusted-lists-alerts.yml.
 */
export function registerTrustedListMetrics(
  registry: Registry,
  views: { readonly view: TrustedListsView },
): void {
  const perTerritory = (
    name: string,
    help: string,
    value: (s: ReturnType<TrustedListsView["territories"]["get"]> & object) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["territory"],
      registers: [registry],
      collect() {
        this.reset();
        for (const status of views.view.territories.values()) {
          const v = value(status);
          if (v !== undefined) this.labels(status.territory).set(v);
        }
      },
    });
  perTerritory(
    "gatekeeper_trusted_list_sequence",
    "TSLSequenceNumber of the list in use.",
    (s) => s.list?.sequenceNumber,
  );
  perTerritory(
    "gatekeeper_trusted_list_issued_timestamp_seconds",
    "ListIssueDateTime of the list in use.",
    (s) => seconds(s.list?.issued),
  );
  perTerritory(
    "gatekeeper_trusted_list_next_update_timestamp_seconds",
    "NextUpdate of the list in use.",
    (s) => seconds(s.list?.nextUpdate),
  );
  perTerritory(
    "gatekeeper_trusted_list_last_success_timestamp_seconds",
    "Last successful load and verification.",
    (s) => seconds(s.lastSuccess),
  );
  perTerritory(
    "gatekeeper_trusted_list_usable",
    "1 while the territory's list is used; 0: it fails closed.",
    (s) => (s.usable ? 1 : 0),
  );
  // A counter, not a gauge: the count only grows (the store never forgets a failure), so rate() and
  // increase() apply, and Prometheus reads a restart's drop to 0 as a counter reset, not a recovery.
  new Counter({
    name: "gatekeeper_trusted_list_failures_total",
    help: "Failed loads or verifications of a territory's list since start, by kind (error code).",
    labelNames: ["territory", "kind"],
    registers: [registry],
    collect() {
      this.reset();
      for (const status of views.view.territories.values()) {
        for (const [kind, n] of Object.entries(status.failures))
          this.labels(status.territory, kind).inc(n ?? 0);
      }
    },
  });
  new Gauge({
    name: "gatekeeper_lotl_signers_digest",
    help: "First 48 bits of the SHA-256 over the LOTL signing certificates the current LOTL announces; changes when the set changes.",
    registers: [registry],
    collect() {
      const lotl = views.view.territories.get("EU")?.list;
      if (lotl === undefined) return;
      const ders = lotl.pointers
        .filter(isLotlPointer)
        .flatMap((p) => p.certificates.map((c) => Buffer.from(c.rawData).toString("hex")))
        .sort();
      this.set(Number.parseInt(createHash("sha256").update(ders.join(",")).digest("hex").slice(0, 12), 16));
    },
  });
}
