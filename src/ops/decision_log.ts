import { deniedCertificateFields, revocationLabel } from "../decision/certificate_facts.js";
import type { Decision, Deny } from "../decision/decision.js";
import type { TppIdentity } from "../decision/identity.js";
import type { CheckInput } from "../foundation/check_input.js";
import { type AllowLine, allowLineWriter } from "./allow_line.js";
import type { Logger } from "./log.js";

/**
 * One line per Check. Only the TPP identity and the request line: never the certificate, never other
 * headers, never query values (they can carry PSU data such as account ids). A TPP's fields are bound
 * once per certificate in a pino child logger, which serialises them once: building and serialising them
 * on every line was a visible share of the warm path's throughput (bench/results.md, "Design measurements").
 */
export class DecisionLog {
  private readonly perTpp = new WeakMap<TppIdentity, Bound>();
  private readonly allowLines: ReturnType<typeof allowLineWriter>;
  private readonly anonymous: Bound;

  constructor(private readonly logger: Logger) {
    this.allowLines = allowLineWriter(logger);
    this.anonymous = this.bound(logger);
  }

  write(input: CheckInput, decision: Decision, micros: number): void {
    // The parent's level decides (a reload may change it); children are made only while info is on.
    if (!this.logger.isLevelEnabled("info")) return;
    const { logger, allowLine } = decision.tpp === undefined ? this.anonymous : this.forTpp(decision.tpp);
    if (!decision.allowed) {
      logger.info(this.denialLine(input, decision, micros), "deny");
      return;
    }
    const revocation = revocationLabel(decision.revocation);
    if (allowLine !== undefined && decision.wouldDeny === undefined) {
      allowLine({
        reqId: input.requestId,
        method: input.method,
        path: decision.path,
        revocation,
        via: decision.certificateVia,
        us: micros,
      });
      return;
    }
    const line = {
      reqId: input.requestId,
      method: input.method,
      path: decision.path,
      decision: "allow",
      wouldDeny: decision.wouldDeny?.reason,
      detail: decision.wouldDeny?.detail,
      revocation,
      via: decision.certificateVia,
      us: micros,
    };
    logger.info(line, "allow");
  }

  /** A denial names the certificate (SHA-256, serial, issuer) and the peer, so on-call can find both. */
  private denialLine(input: CheckInput, decision: Deny, micros: number): object {
    return {
      reqId: input.requestId,
      method: input.method || undefined,
      path: decision.path,
      decision: "deny",
      reason: decision.reason,
      detail: decision.detail,
      revocation: revocationLabel(decision.revocation),
      via: decision.certificateVia,
      ...deniedCertificateFields(decision),
      peer: input.peer.address,
      us: micros,
    };
  }

  private forTpp(tpp: TppIdentity): Bound {
    let bound = this.perTpp.get(tpp);
    if (bound === undefined) {
      // The same names as the audit trail and the expiry warnings: tppId, roles as an array.
      const child = this.logger.child({
        tppId: tpp.organizationIdentifier,
        roles: tpp.roles,
        // Roles this service does not know are never granted; showing them tells the operator why.
        unknownRoles: tpp.unknownRoleOids.length > 0 ? tpp.unknownRoleOids : undefined,
      });
      bound = this.bound(child);
      this.perTpp.set(tpp, bound);
    }
    return bound;
  }

  private bound(logger: Logger): Bound {
    return { logger, allowLine: this.allowLines?.(logger) };
  }
}

/** A logger with the TPP's fields bound, and its allow line when pino's output can be reproduced. */
interface Bound {
  readonly logger: Logger;
  readonly allowLine: AllowLine | undefined;
}
