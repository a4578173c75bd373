import pino, { type Logger } from "pino";
import { deniedCertificateFields, revocationLabel } from "../decision/certificate_facts.js";
import type { Decision } from "../decision/decision.js";
import type { CheckInput } from "../foundation/check_input.js";

/**
 * The audit trail: one JSON line per decision in its own file, with exactly these fields and nothing
 * else from the request. `reopen()` (wired to SIGUSR2) lets logrotate move the file away.
 */
export class AuditLog {
  private readonly destination: pino.DestinationStream & { reopen(): void; flushSync(): void };
  private readonly logger: Logger;

  constructor(
    private readonly file: string,
    private readonly log?: Logger,
  ) {
    // 0600: the trail names TPPs and what they asked; only the service's user reads it (created so only).
    this.destination = pino.destination({ dest: file, mkdir: true, sync: false, mode: 0o600 });
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
        ...certificateOf(decision),
        peer: decision.allowed ? undefined : input.peer.address,
        method: input.method || undefined,
        path: decision.path,
        decision: decision.allowed ? (decision.wouldDeny === undefined ? "allow" : "dry-run") : "deny",
        reason: decision.allowed ? decision.wouldDeny?.reason : decision.reason,
        revocation: revocationLabel(decision.revocation),
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
    this.log?.info({ file: this.file }, "audit file reopened");
  }

  close(): void {
    this.destination.flushSync();
  }
}

/** An allow's certificate is its TPP's; a denial's is the refused one's, so every line names one. */
function certificateOf(decision: Decision): {
  certSha256?: string;
  certSerial?: string;
  certIssuer?: string;
} {
  if (decision.allowed) return { certSha256: decision.tpp?.certSha256, certSerial: decision.tpp?.certSerial };
  return deniedCertificateFields(decision);
}
