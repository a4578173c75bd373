import type { CheckInput } from "../../../foundation/check_input.js";
import type { Denial } from "../../../foundation/reasons.js";
import { verifySignature } from "./algorithms.js";
import type { KeyRing } from "./key_ring.js";
import { ReplayGuard } from "./replay_guard.js";
import { requestComponent, signatureBase } from "./signature_base.js";
import { signatureDenial } from "./signature_denial.js";
import { readSignatureFields, type SignatureFields } from "./signature_fields.js";

/** One trusted hop's signature rule, with its keys already loaded. */
export interface SignaturePolicy {
  /** required: a forwarded certificate without the signature is denied; optional: verified when present. */
  readonly mode: "required" | "optional";
  readonly label: string;
  readonly keys: KeyRing;
  readonly maxAgeSeconds: number;
  readonly clockSkewSeconds: number;
  readonly signatureHeader: string;
  readonly inputHeader: string;
}

/** Nonces remembered per hop: at 10 s windows, enough for 10,000 signed requests a second. */
const MAX_REMEMBERED_NONCES = 100_000;

/** The request line the decision is about; any one of the target components binds the path. */
const REQUIRED_COMPONENTS = ["@method", "@authority"] as const;
const TARGET_COMPONENTS = ["@path", "@target-uri", "@request-target"] as const;

/**
 * Verifies the RFC 9421 signature a trusted hop puts over a forwarded certificate (RFC 9421 §3.2, with
 * this service's acceptance rules of §3.2.1): the signature must cover the request line and every
 * certificate header the request carries, be made with a key listed for the hop, verify over the request
 * as the gateway received it, be inside its time window, and carry a nonce not seen before (when it
 * carries one). The order of the checks is chosen so that EXPIRED and REPLAYED are only ever said of
 * genuine signatures: a forgery is INVALID whatever its dates.
 */
export class ForwardedSignatureCheck {
  private readonly replays = new ReplayGuard(MAX_REMEMBERED_NONCES);

  constructor(private readonly policy: SignaturePolicy) {}

  /**
   * undefined when the forwarded certificate may be read. `certificateHeaders`: the forwarded certificate
   * headers this request carries (the source's headers that are present), all of which must be signed.
   */
  check(input: CheckInput, certificateHeaders: readonly string[], now: Date): Denial | undefined {
    const { label, mode } = this.policy;
    const fields = readSignatureFields(
      input.headers.get(this.policy.inputHeader),
      input.headers.get(this.policy.signatureHeader),
      label,
    );
    if (fields === undefined)
      return mode === "required"
        ? signatureDenial("FORWARDED_SIGNATURE_MISSING", `no signature labelled "${label}"`)
        : undefined;
    return fields.ok ? this.verify(input, fields.value, certificateHeaders, now) : fields.error;
  }

  private verify(
    input: CheckInput,
    fields: SignatureFields,
    certificateHeaders: readonly string[],
    now: Date,
  ): Denial | undefined {
    const uncovered = uncoveredComponent(fields.covered, certificateHeaders);
    if (uncovered !== undefined)
      return signatureDenial("FORWARDED_SIGNATURE_INVALID", `does not cover ${uncovered}`);
    const key = this.policy.keys.get(fields.keyid);
    if (key === undefined)
      return signatureDenial(
        "FORWARDED_SIGNATURE_UNKNOWN_KEY",
        `keyid ${quoted(fields.keyid)} is not listed`,
      );
    // RFC 9421 §3.2 step 6.2: an `alg` that names another algorithm than the key's is an error.
    if (fields.alg !== undefined && fields.alg !== key.alg)
      return signatureDenial("FORWARDED_SIGNATURE_INVALID", `alg ${quoted(fields.alg)} is not ${key.alg}`);
    const base = signatureBase(fields.covered, fields.signatureParams, (name) =>
      requestComponent(input, name),
    );
    if (!base.ok) return base.error;
    if (!verifySignature(key, Buffer.from(base.value, "ascii"), fields.signature))
      return signatureDenial(
        "FORWARDED_SIGNATURE_INVALID",
        `does not verify with keyid ${quoted(key.keyid)}`,
      );
    return this.timely(fields, now) ?? this.firstUse(fields, now);
  }

  /** created within [now - maxAge - skew, now + skew], and not past `expires` (+ skew). */
  private timely(fields: SignatureFields, now: Date): Denial | undefined {
    const { maxAgeSeconds, clockSkewSeconds } = this.policy;
    const seconds = Math.floor(now.getTime() / 1000);
    const age = seconds - fields.created;
    if (age < -clockSkewSeconds)
      return signatureDenial("FORWARDED_SIGNATURE_EXPIRED", `created ${-age} s in the future`);
    if (age > maxAgeSeconds + clockSkewSeconds)
      return signatureDenial("FORWARDED_SIGNATURE_EXPIRED", `created ${age} s ago (max ${maxAgeSeconds} s)`);
    if (fields.expires !== undefined && seconds > fields.expires + clockSkewSeconds)
      return signatureDenial("FORWARDED_SIGNATURE_EXPIRED", `expired ${seconds - fields.expires} s ago`);
    return undefined;
  }

  private firstUse(fields: SignatureFields, now: Date): Denial | undefined {
    if (fields.nonce === undefined) return undefined;
    const { maxAgeSeconds, clockSkewSeconds } = this.policy;
    const windowEndsAt = (fields.created + maxAgeSeconds + clockSkewSeconds + 1) * 1000;
    // The keyid is part of the key: two signers may draw the same nonce without either replaying.
    const fresh = this.replays.firstUse(`${fields.keyid}\n${fields.nonce}`, windowEndsAt, now.getTime());
    return fresh
      ? undefined
      : signatureDenial("FORWARDED_SIGNATURE_REPLAYED", `nonce ${quoted(fields.nonce)} was already used`);
  }
}

function uncoveredComponent(
  covered: readonly string[],
  certificateHeaders: readonly string[],
): string | undefined {
  const missing = REQUIRED_COMPONENTS.find((name) => !covered.includes(name));
  if (missing !== undefined) return missing;
  if (!TARGET_COMPONENTS.some((name) => covered.includes(name))) return TARGET_COMPONENTS.join(" or ");
  return certificateHeaders.find((name) => !covered.includes(name));
}

/** Values from the request go into the log quoted and cut short. */
function quoted(value: string): string {
  return JSON.stringify(value.slice(0, 64));
}
