import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { X509Certificate } from "@peculiar/x509";
import type { TrustedListsConfig } from "./config.js";
import { TrustedListError, type TrustedListErrorCode } from "./errors.js";
import { type ListFetcher, loadMemberStateLists, verifyLotl } from "./lotl.js";
import type { TrustedList } from "./model.js";
import { ServiceIndex } from "./qualification.js";

/** The LOTL's own territory code in the status table. */
export const LOTL_TERRITORY = "EU";

export interface TerritoryStatus {
  readonly territory: string;
  /** The last verified copy, kept while later refreshes fail. */
  readonly list: TrustedList | undefined;
  readonly lastSuccess: Date | undefined;
  /** False once the copy is past NextUpdate + grace: the territory then fails closed. */
  readonly usable: boolean;
  readonly failures: Readonly<Partial<Record<TrustedListErrorCode, number>>>;
  readonly lastError: TrustedListError | undefined;
}

/** One immutable state of the lists, swapped in whole (like a configuration reload). */
export interface TrustedListsView {
  /** /readyz: a LOTL has been verified at least once (from disk or network). */
  readonly ready: boolean;
  readonly index: ServiceIndex;
  readonly territories: ReadonlyMap<string, TerritoryStatus>;
  readonly builtAt: Date;
}

export interface TrustedListStoreDeps {
  /** Fetches the LOTL, pivots and Member State lists (an HTTPS client or a file reader); never called on a Check. */
  readonly fetch: ListFetcher;
  readonly now: () => Date;
  /** Called after every swap, e.g. for metrics and the change log. */
  readonly onSwap?: (view: TrustedListsView) => void;
}

const EMPTY: TrustedListsView = {
  ready: false,
  index: new ServiceIndex([]),
  territories: new Map(),
  builtAt: new Date(0),
};

/** Where a list's last verified copy is kept: one file per territory, pivots by their file name. */
function cachePath(dir: string, kind: "lotl" | "pivot" | "tl", name: string): string {
  if (kind === "lotl") return join(dir, "lotl.xml");
  if (kind === "pivot") return join(dir, "pivots", basename(new URL(name, "file:///").pathname));
  return join(dir, "tl", `${name}.xml`);
}

async function atomicWrite(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

interface Source {
  readonly lotl: () => Promise<Uint8Array>;
  readonly pivot: ListFetcher;
  readonly list: (territory: string, location: string) => Promise<Uint8Array>;
  readonly persist: boolean;
}

/**
 * Loads, verifies and keeps the EU lists. A Check only reads `view` (a plain field), never waits for I/O:
 * refreshes run in the background, one at a time, and publish a new view in one assignment.
 */
export class TrustedListStore {
  private current: TrustedListsView = EMPTY;
  private lotl: TrustedList | undefined;
  private readonly states = new Map<string, TerritoryStatus>();
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: TrustedListsConfig,
    private readonly ojCertificates: readonly X509Certificate[],
    private readonly deps: TrustedListStoreDeps,
  ) {}

  get view(): TrustedListsView {
    return this.current;
  }

  /** Start-up: the last verified copies on disk, verified again (a cache is never trusted as such). */
  loadFromCache(): Promise<void> {
    const dir = this.config.cacheDir;
    const read = (path: string) => async () => new Uint8Array(await readFile(path));
    return this.once({
      lotl: read(cachePath(dir, "lotl", "")),
      pivot: (location) => read(cachePath(dir, "pivot", location))(),
      list: (territory) => read(cachePath(dir, "tl", territory))(),
      persist: false,
    });
  }

  /** One refresh from the configured locations; the verified bytes replace the disk copies. */
  refresh(): Promise<void> {
    return this.once({
      lotl: () => this.deps.fetch(this.config.lotl),
      pivot: this.deps.fetch,
      list: (_territory, location) => this.deps.fetch(location),
      persist: true,
    });
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(
      () => void this.refresh().catch(() => undefined),
      this.config.refreshSeconds * 1000,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private once(source: Source): Promise<void> {
    this.inFlight ??= this.cycle(source).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async cycle(source: Source): Promise<void> {
    await this.refreshLotl(source);
    const lotl = this.lotl;
    // A LOTL past NextUpdate + grace names pointers (and the keys that may sign each list) the Commission
    // may have changed since: no Member State list is accepted on its word (ETSI TS 119 615 §4.1).
    if (lotl !== undefined && this.fresh(lotl, this.deps.now())) {
      const wanted = this.config.territories === undefined ? undefined : new Set(this.config.territories);
      const fetched = new Map<string, Uint8Array>();
      const territoryOf = new Map(lotl.pointers.map((p) => [p.location, p.territory ?? ""]));
      const fetchList: ListFetcher = async (location) => {
        const bytes = await source.list(territoryOf.get(location) ?? "", location);
        fetched.set(location, bytes);
        return bytes;
      };
      for (const outcome of await loadMemberStateLists(lotl, fetchList, wanted, this.config.maxListBytes)) {
        const rollback = outcome.ok ? this.rollback(outcome.territory, outcome.list) : undefined;
        if (rollback !== undefined) {
          this.failed(outcome.territory, rollback);
        } else if (outcome.ok) {
          this.succeeded(outcome.territory, outcome.list);
          const bytes = fetched.get(outcome.list.source);
          if (source.persist && bytes !== undefined) {
            await atomicWrite(cachePath(this.config.cacheDir, "tl", outcome.territory), bytes);
          }
        } else {
          this.failed(outcome.territory, outcome.error);
        }
      }
    }
    this.publish();
  }

  private async refreshLotl(source: Source): Promise<void> {
    const pivots = new Map<string, Uint8Array>();
    try {
      const bytes = await source.lotl();
      const fetchPivot: ListFetcher = async (location) => {
        const pivot = await source.pivot(location);
        pivots.set(location, pivot);
        return pivot;
      };
      const lotl = await verifyLotl(bytes, this.config.lotl, this.ojCertificates, fetchPivot, {
        maxPivots: this.config.maxPivots,
        maxBytes: this.config.maxListBytes,
      });
      const rollback = this.rollback(LOTL_TERRITORY, lotl);
      if (rollback !== undefined) throw rollback;
      this.lotl = lotl;
      this.succeeded(LOTL_TERRITORY, lotl);
      if (source.persist) {
        for (const [location, pivot] of pivots)
          await atomicWrite(cachePath(this.config.cacheDir, "pivot", location), pivot);
        await atomicWrite(cachePath(this.config.cacheDir, "lotl", ""), bytes);
      }
    } catch (error) {
      const typed =
        error instanceof TrustedListError
          ? error
          : new TrustedListError("FETCH_FAILED", `${this.config.lotl}: ${String(error)}`);
      this.failed(LOTL_TERRITORY, typed);
    }
  }

  /**
   * ETSI TS 119 612 §5.3.3: the sequence number grows with every issue. A validly signed older list (a
   * replay by a mirror or an attacker on the path) must not replace a newer one, e.g. to bring back a
   * service's "granted" status after its withdrawal.
   */
  private rollback(territory: string, list: TrustedList): TrustedListError | undefined {
    const kept = this.states.get(territory)?.list;
    if (kept === undefined || list.sequenceNumber >= kept.sequenceNumber) return undefined;
    return new TrustedListError(
      "SEQUENCE_ROLLBACK",
      `${list.source}: sequence ${list.sequenceNumber} is older than the ${kept.sequenceNumber} in use`,
    );
  }

  private succeeded(territory: string, list: TrustedList): void {
    const previous = this.states.get(territory);
    this.states.set(territory, {
      territory,
      list,
      lastSuccess: this.deps.now(),
      usable: true,
      failures: previous?.failures ?? {},
      lastError: undefined,
    });
  }

  private failed(territory: string, error: TrustedListError): void {
    const previous = this.states.get(territory);
    const failures = { ...(previous?.failures ?? {}) };
    failures[error.code] = (failures[error.code] ?? 0) + 1;
    this.states.set(territory, {
      territory,
      list: previous?.list,
      lastSuccess: previous?.lastSuccess,
      usable: previous?.usable ?? false,
      failures,
      lastError: error,
    });
  }

  /** Within NextUpdate + grace: the list may still be used (a list without NextUpdate is a closed scheme). */
  private fresh(list: TrustedList, now: Date): boolean {
    const next = list.nextUpdate;
    return next === undefined || now.getTime() <= next.getTime() + this.config.graceSeconds * 1000;
  }

  /** Re-evaluates staleness and swaps; also run by the timer so a list expires even if refreshes hang. */
  publish(): void {
    const now = this.deps.now();
    // Every Member State list was accepted under the LOTL's pointer: when the LOTL goes stale, the
    // territories it pointed to fail closed with it, whatever their own NextUpdate says.
    const lotlFresh = this.lotl !== undefined && this.fresh(this.lotl, now);
    const territories = new Map<string, TerritoryStatus>();
    for (const [territory, state] of this.states) {
      const pointedTo = territory !== LOTL_TERRITORY;
      const usable = state.list !== undefined && this.fresh(state.list, now) && (lotlFresh || !pointedTo);
      territories.set(territory, { ...state, usable });
    }
    // ETSI TS 119 615 §4.1: a list past its NextUpdate (+ the operator's grace) no longer proves anything.
    const usableLists = [...territories.values()]
      .filter((s) => s.usable && s.territory !== LOTL_TERRITORY)
      .flatMap((s) => (s.list === undefined ? [] : [s.list]));
    this.current = {
      ready: this.lotl !== undefined,
      index: new ServiceIndex(usableLists),
      territories,
      builtAt: now,
    };
    this.deps.onSwap?.(this.current);
  }
}
