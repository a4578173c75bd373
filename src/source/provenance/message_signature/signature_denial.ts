import { type Denial, type DenyReason, deny } from "../../../foundation/reasons.js";
import { fail, type Result } from "../../../foundation/result.js";

/** Every signature denial names its subject, so a log line is clear without knowing the reason table. */
export function signatureDenial(reason: DenyReason, detail: string): Denial {
  return deny(reason, `forwarded-certificate signature: ${detail}`);
}

export function signatureFailure(reason: DenyReason, detail: string): Result<never> {
  return fail(signatureDenial(reason, detail));
}
