import { Counter, type CounterConfiguration } from "prom-client";

/** One label set of a counter: a Check adds to `pending`, a scrape moves it into the counter. */
export interface TallySlot {
  readonly labels: Readonly<Record<string, string>>;
  pending: number;
}

/**
 * A prom-client counter counted on the hot path without prom-client's per-increment work (it builds and
 * looks up a label-hash string on every `inc`, about a microsecond per Check for our three counters). Each
 * label set gets a slot once; a Check adds 1 to a number; the pending counts are added to the counter when
 * Prometheus scrapes (its `collect` hook), so the exposition is unchanged.
 */
export class Tally {
  private readonly counter: Counter<string>;
  private readonly dirty = new Set<TallySlot>();

  constructor(configuration: Omit<CounterConfiguration<string>, "collect">) {
    this.counter = new Counter({ ...configuration, collect: () => this.flush() });
  }

  slot(labels: Readonly<Record<string, string>> = {}): TallySlot {
    return { labels, pending: 0 };
  }

  add(slot: TallySlot): void {
    if (slot.pending === 0) this.dirty.add(slot);
    slot.pending++;
  }

  /** Removes a slot's series, with whatever it had pending (a TPP that left the bounded set). */
  remove(slot: TallySlot): void {
    slot.pending = 0;
    this.dirty.delete(slot);
    this.counter.remove(slot.labels);
  }

  private flush(): void {
    for (const slot of this.dirty) {
      this.counter.inc(slot.labels, slot.pending);
      slot.pending = 0;
    }
    this.dirty.clear();
  }
}
