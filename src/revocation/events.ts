import type { RevocationFailureCode } from "./failure.js";

/**
 * What the checker reports for metrics. Small and closed, so each field maps to one Prometheus label:
 * cache results, each fetch with its outcome and latency, and each fallback taken when no answer came.
 */
export type RevocationEvent =
  | { readonly type: "cache"; readonly result: "hit" | "refresh-ahead" | "miss" | "negative" }
  | {
      readonly type: "fetch";
      readonly source: "ocsp" | "crl";
      /** "answer" = fetched and verified; otherwise why not. */
      readonly outcome: "answer" | RevocationFailureCode;
      readonly durationMs: number;
    }
  | {
      readonly type: "fallback";
      /** still-valid: a cached answer before its nextUpdate; stale: stale-if-error; soft / hard: the fail mode. */
      readonly result: "still-valid" | "stale" | "soft" | "hard";
      readonly code: RevocationFailureCode;
    };

/** pino-compatible: a pino logger (or child) can be passed as is. */
export interface RevocationLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}
