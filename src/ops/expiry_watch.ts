import { LRUCache } from "lru-cache";
import type { TppIdentity } from "../decision/identity.js";

/** Days before notAfter at which a warning is logged, once per certificate per threshold. */
export const EXPIRY_THRESHOLDS_DAYS = [30, 15, 7] as const;
const DAY_MS = 86_400_000;

/**
 * The tightest threshold a certificate with `msLeft` before its notAfter is inside, or undefined when it
 * is inside none: the one rule behind the service's warnings and `qwac inspect` / `check-config`'s.
 */
export function expiryThresholdDays(msLeft: number): number | undefined {
  const crossed = EXPIRY_THRESHOLDS_DAYS.filter((days) => msLeft <= days * DAY_MS);
  return crossed.length === 0 ? undefined : Math.min(...crossed);
}

/** Whole days left, as the warnings count them: negative once expired. */
export function expiryDaysLeft(msLeft: number): number {
  return Math.floor(msLeft / DAY_MS);
}

export interface ExpiryWarning {
  readonly tppId: string;
  readonly certSha256: string;
  readonly notAfter: string;
  readonly daysLeft: number;
  readonly thresholdDays: number;
}

interface Watched {
  readonly tppId: string;
  readonly certSha256: string;
  readonly notAfterMs: number;
  readonly notAfter: string;
  /** The smallest threshold already warned about (Infinity: none yet). */
  warnedDays: number;
}

export interface ExpiryWatchOptions {
  /** How many recently seen certificates are watched (and exported as metric series). */
  readonly maxCertificates: number;
  readonly warn: (warning: ExpiryWarning) => void;
  /** notAfter as Unix seconds: a fact, set once per certificate (alerts subtract `time()`). */
  readonly gauge: (tppId: string, certSha256: string, notAfterSeconds: number) => void;
  /** `lastOfTpp`: no other certificate of this TPP is watched any more (its per-TPP series can go). */
  readonly forget: (tppId: string, certSha256: string, lastOfTpp: boolean) => void;
}

/**
 * Watches the QWACs of TPPs seen recently. `seen` is the per-request call: an LRU touch, nothing else.
 * `sweep` (from a timer, with the clock as an argument) updates the expiry gauges and logs a warning
 * the first time a certificate is inside 30, 15 and 7 days — once per threshold, not once per request.
 */
export class ExpiryWatch {
  private readonly watched: LRUCache<string, Watched>;
  /** Watched certificates per TPP: a TPP that rotated its QWAC keeps its series while one is still seen. */
  private readonly perTpp = new Map<string, number>();

  constructor(private readonly options: ExpiryWatchOptions) {
    this.watched = new LRUCache<string, Watched>({
      max: options.maxCertificates,
      dispose: (entry) => {
        const left = (this.perTpp.get(entry.tppId) ?? 1) - 1;
        if (left === 0) this.perTpp.delete(entry.tppId);
        else this.perTpp.set(entry.tppId, left);
        options.forget(entry.tppId, entry.certSha256, left === 0);
      },
    });
  }

  seen(identity: TppIdentity, nowMs: number): void {
    if (this.watched.get(identity.certSha256) !== undefined) return;
    const entry: Watched = {
      tppId: identity.organizationIdentifier,
      certSha256: identity.certSha256,
      notAfterMs: Date.parse(identity.certNotAfter),
      notAfter: identity.certNotAfter,
      warnedDays: Number.POSITIVE_INFINITY,
    };
    this.watched.set(identity.certSha256, entry);
    this.perTpp.set(entry.tppId, (this.perTpp.get(entry.tppId) ?? 0) + 1);
    this.options.gauge(entry.tppId, entry.certSha256, Math.floor(entry.notAfterMs / 1000));
    this.evaluate(entry, nowMs);
  }

  sweep(nowMs: number): void {
    for (const entry of this.watched.values()) this.evaluate(entry, nowMs);
  }

  private evaluate(entry: Watched, nowMs: number): void {
    const msLeft = entry.notAfterMs - nowMs;
    // Only the tightest threshold is reported: a certificate first seen at T-5 warns once, at 7 days.
    const thresholdDays = expiryThresholdDays(msLeft);
    if (thresholdDays === undefined || thresholdDays >= entry.warnedDays) return;
    entry.warnedDays = thresholdDays;
    this.options.warn({
      tppId: entry.tppId,
      certSha256: entry.certSha256,
      notAfter: entry.notAfter,
      daysLeft: expiryDaysLeft(msLeft),
      thresholdDays,
    });
  }
}
