import pino, { type Logger } from "pino";
import type { CheckInput } from "../check_input.js";
import type { Decision } from "../decision/decision.js";

/**
 * The audit trail: one JSON line per decision in its own file, with exactly these fields and nothing
 * else from the request. `reopen()` (wired to SIGUSR2) lets logrotate move the file away.
 */
export class AuditLog {
  private readonly destination: pino.DestinationStream & { reopen(): void; flushSync(): void };
  private readonly logger: Logger;

  constructor(file: string) {
    this.destination = pino.destination({ dest: file, mkdir: true, sync: false });
    this.logger = pino(
      { base: null, timestamp: pino.stdTimeFunctions.isoTime, messageKey: "event" },
      this.destination,
    );
  }

  write(input: CheckInput, decision: Decision): void {
    const tpp = decision.tpp;
    this.logger.info(
      {
        reqId: input.requestId,
        tppId: tpp?.organizationIdentifier,
        tppName: tpp?.organizationName,
        roles: tpp?.roles,
        certSha256: tpp?.certSha256,
        certSerial: tpp?.certSerial,
        method: input.method,
        path: decision.path,
        decision: decision.allowed ? (decision.wouldDeny === undefined ? "allow" : "dry-run") : "deny",
        reason: decision.allowed ? decision.wouldDeny?.reason : decision.reason,
        revocation: decision.revocation?.status,
        revocationSource:
          decision.revocation !== undefined && "source" in decision.revocation
            ? decision.revocation.source
            : undefined,
        certificateVia: decision.certificateVia,
      },
      "decision",
    );
  }

  reopen(): void {
    this.destination.reopen();
  }

  close(): void {
    this.destination.flushSync();
  }
}
