import type { Allow, Decision, Deny } from "../decision/decision.js";
import type { ResponseSettings } from "../decision/response_settings.js";
import type { CheckInput } from "../foundation/check_input.js";
import type { Denial, DenyReason } from "../foundation/reasons.js";
import { andThen, type Settled } from "../foundation/settled.js";
import { authorize, denied } from "./authorize.js";
import type { Snapshot } from "./gate.js";

export interface CheckOutcome {
  readonly decision: Decision;
  readonly responses: ResponseSettings;
}

/**
 * Where a decision goes once taken (the log line, metrics, expiry watch, audit: src/ops/decision_recorder.ts).
 * Called once per Check on the warm path, so it must not wait.
 */
export interface DecisionRecorder {
  record(input: CheckInput, decision: Decision, micros: number, now: Date): void;
}

/**
 * Denials that dry-run never waives: an unreadable or ambiguous request (letting it through would defeat
 * the safe-path guarantee), and a forged or misrouted forwarded certificate (an attack, not a policy being
 * rolled out).
 */
const ALWAYS_ENFORCED: ReadonlySet<DenyReason> = new Set([
  "PATH_INVALID",
  "REQUEST_INVALID",
  "CERT_FORWARDED_UNTRUSTED_HOP",
  "FORWARDED_SIGNATURE_MISSING",
  "FORWARDED_SIGNATURE_MALFORMED",
  "FORWARDED_SIGNATURE_UNKNOWN_KEY",
  "FORWARDED_SIGNATURE_INVALID",
  "FORWARDED_SIGNATURE_EXPIRED",
  "FORWARDED_SIGNATURE_REPLAYED",
]);

/**
 * The core behind every edge (Envoy gRPC, HTTP mode): runs the pipeline on the current snapshot, applies
 * dry-run, and records the decision once (log line, metrics, expiry watch, audit). Edges only translate.
 */
export class Gatekeeper {
  constructor(
    private snapshot: Snapshot,
    private readonly recorder: DecisionRecorder,
  ) {}

  current(): Snapshot {
    return this.snapshot;
  }

  /** Installs a new snapshot; Checks already running finish on the one they started with. */
  swap(next: Snapshot): Snapshot {
    const previous = this.snapshot;
    this.snapshot = next;
    return previous;
  }

  /** Answers at once when every verdict it needs is cached (the warm path), later otherwise. */
  check(input: CheckInput): Settled<CheckOutcome> {
    const started = performance.now();
    const snapshot = this.snapshot;
    const now = snapshot.gate.now();
    return andThen(authorize(input, snapshot.gate, now), (authorized) => {
      const decision = applyDryRun(authorized, snapshot.mode === "dry-run");
      const micros = Math.round((performance.now() - started) * 1000);
      this.record(input, decision, micros, now);
      return { decision, responses: snapshot.responses };
    });
  }

  /**
   * A request an edge could not even read (e.g. the proxy sent no method/URI): refused, and recorded like
   * every other decision (log line, metrics, audit), so probing is visible.
   */
  refuse(input: CheckInput, denial: Denial): CheckOutcome {
    const snapshot = this.snapshot;
    const decision = denied(denial);
    this.record(input, decision, 0, snapshot.gate.now());
    return { decision, responses: snapshot.responses };
  }

  private record(input: CheckInput, decision: Decision, micros: number, now: Date): void {
    this.recorder.record(input, decision, micros, now);
  }
}

/**
 * Global dry-run waives every policy denial. A dry-run *rule* is a stricter role requirement being rolled
 * out, so it waives only its own verdict (ROLE_NOT_ALLOWED): a request without a valid, unrevoked QWAC is
 * still refused on that path, or adding a rule in dry-run would open it to anyone.
 */
function applyDryRun(decision: Decision, globalDryRun: boolean): Decision {
  if (decision.allowed || ALWAYS_ENFORCED.has(decision.reason)) return decision;
  if (globalDryRun) return waived(decision);
  const ruleDryRun = decision.route?.kind === "roles" && decision.route.mode === "dry-run";
  return ruleDryRun && decision.reason === "ROLE_NOT_ALLOWED" ? waived(decision) : decision;
}

function waived(deny: Deny): Allow {
  return {
    allowed: true,
    route: deny.route ?? { kind: "roles", ruleId: "none", anyOf: [], mode: "dry-run" },
    tpp: deny.tpp,
    identityHeaders: deny.identityHeaders,
    revocation: deny.revocation,
    certificateVia: deny.certificateVia,
    path: deny.path ?? "",
    wouldDeny: { reason: deny.reason, detail: deny.detail },
  };
}
