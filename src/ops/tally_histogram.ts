import type { Histogram, Registry } from "prom-client";

export interface TallyHistogramConfiguration {
  readonly name: string;
  readonly help: string;
  /** Upper bounds, ascending; +Inf is implied. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

interface ExportedValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/**
 * A label-less histogram observed on the hot path as a bucket search and three number updates. Its
 * exposition is prom-client's (the registry formats what `get` returns, as for its own Histogram): the
 * same `_bucket` series with `le` (cumulative, then `+Inf`), `_sum` and `_count`. prom-client's own
 * Histogram builds a label object and a label-hash string on every observation, which in the warm HTTP
 * path cost more than the policy match.
 */
export class TallyHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly bounds: readonly number[];
  /** Per bucket, not cumulative; the last one is +Inf. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(configuration: TallyHistogramConfiguration) {
    this.name = configuration.name;
    this.help = configuration.help;
    this.bounds = [...configuration.buckets];
    this.counts = new Float64Array(this.bounds.length + 1);
    // The registry only ever reads a metric through name, help, type, aggregator, get() and reset(); it
    // types registration as its own classes, so this one is registered under the Histogram's type.
    for (const registry of configuration.registers) registry.registerMetric(this as unknown as Histogram);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    this.counts[bucket]!++;
    this.sum += value;
    this.count++;
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: ExportedValue[];
  }> {
    const bucketName = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    let cumulative = 0;
    this.bounds.forEach((bound, index) => {
      cumulative += this.counts[index]!;
      values.push({ metricName: bucketName, labels: { le: bound }, value: cumulative });
    });
    values.push(
      { metricName: bucketName, labels: { le: "+Inf" }, value: this.count },
      { metricName: `${this.name}_sum`, labels: {}, value: this.sum },
      { metricName: `${this.name}_count`, labels: {}, value: this.count },
    );
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
