import type { Decision } from "../decision/decision.js";
import type { CheckInput } from "../foundation/check_input.js";
import type { DecisionRecorder } from "../pipeline/gatekeeper.js";
import type { AuditLog } from "./audit_log.js";
import { DecisionLog } from "./decision_log.js";
import type { ExpiryWatch } from "./expiry_watch.js";
import type { Logger } from "./log.js";
import type { GatekeeperMetrics } from "./metrics.js";

/** The sinks a decision goes to; only the log line is always there. */
export interface DecisionSinks {
  readonly logger: Logger;
  readonly metrics?: GatekeeperMetrics;
  readonly expiry?: ExpiryWatch;
  readonly audit?: AuditLog;
}

/** Every decision, once: the log line, the metrics, the TPP's certificate expiry, the audit record. */
export function decisionRecorder(sinks: DecisionSinks): DecisionRecorder {
  const log = new DecisionLog(sinks.logger);
  return {
    record(input: CheckInput, decision: Decision, micros: number, now: Date): void {
      log.write(input, decision, micros);
      const wouldDeny = decision.allowed ? decision.wouldDeny?.reason : undefined;
      sinks.metrics?.decision(decision, micros / 1_000_000, wouldDeny);
      if (decision.tpp !== undefined) sinks.expiry?.seen(decision.tpp, now.getTime());
      sinks.audit?.write(input, decision);
    },
  };
}
