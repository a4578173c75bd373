import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import pino, { type Logger } from "pino";
import { deniedCertificateFields, revocationLabel } from "../decision/certificate_facts.js";
import type { Decision } from "../decision/decision.js";
import type { CheckInput } from "../foundation/check_input.js";
import { ConfigError, readFailure } from "../foundation/config_error.js";

/**
 * The audit trail: one JSON line per decision in its own file, with exactly these fields and nothing
 * else from the request. `reopen()` (wired to SIGUSR2) lets logrotate move the file away.
 */
export class AuditLog {
  private readonly destination: ReturnType<typeof pino.destination>;
  private readonly logger: Logger;

  /**
   * Opens the trail, or throws a ConfigError naming `audit.file`: the asynchronous destination would
   * otherwise report an unwritable path later, as an `error` event, after the service said it started.
   */
  static open(file: string, configFile: string, log?: Logger): AuditLog {
    const folder = dirname(file);
    try {
      mkdirSync(folder, { recursive: true });
    } catch (error) {
      const inTheWay = (error as NodeJS.ErrnoException).code === "EEXIST";
      const problem = `cannot create the folder ${folder}: ${readFailure(folder, error)}`;
      throw new ConfigError(configFile, "audit.file", inTheWay ? folderInTheWay(folder) : problem);
    }
    try {
      closeSync(openSync(file, "a", 0o600));
    } catch (error) {
      throw new ConfigError(configFile, "audit.file", `cannot create ${file}: ${readFailure(file, error)}`);
    }
    return new AuditLog(file, log);
  }

  private constructor(
    private readonly file: string,
    private readonly log?: Logger,
  ) {
    // 0600: the trail names TPPs and what they asked; only the service's user reads it (created so only).
    this.destination = pino.destination({ dest: file, mkdir: true, sync: false, mode: 0o600 });
    // A write that fails later (disk full, the folder rotated away) is logged; it must not kill the process.
    this.destination.on("error", (error: unknown) =>
      this.log?.error({ file: this.file, err: readFailure(this.file, error) }, "audit file write failed"),
    );
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

/** The start and `qwac check-config`'s preflight say the same when a file stands where the folder must. */
export function folderInTheWay(folder: string): string {
  return `cannot create the folder ${folder}: a file, not a folder, is in the way (EEXIST)`;
}
