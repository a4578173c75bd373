import { z } from "zod";
import { SIGNATURE_ALGORITHMS } from "./algorithms.js";

/**
 * `trustedHops[].signature`: the RFC 9421 signature a trusted hop puts over the certificate header it
 * forwards (docs/signed-forwarding.md). Writing the section at all means the operator wants signatures,
 * so `mode` defaults to `required`.
 */

export const DEFAULT_SIGNATURE_LABEL = "proxy";
export const DEFAULT_SIGNATURE_HEADER = "signature";
export const DEFAULT_SIGNATURE_INPUT_HEADER = "signature-input";

/** The keyid goes into a structured-field String: printable ASCII only. */
const keyid = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x20-\x7e]+$/, "must be printable ASCII");

const signatureKeySchema = z.strictObject({
  keyid,
  alg: z.enum(SIGNATURE_ALGORITHMS),
  /** hmac-sha256: the secret as one line of base64; ecdsa-p256-sha256, ed25519: a PEM public key. */
  file: z.string().min(1),
});

/** RFC 8941 §3.2 dictionary key: what a label must be to name a member of Signature-Input. */
const label = z.string().regex(/^[a-z*][a-z0-9_.*-]{0,63}$/, "must be a lower-case structured-field key");
const headerName = z.string().regex(/^[a-z0-9-]+$/, "must be a lower-case header name");

export const signatureSchema = z
  .strictObject({
    /** required: no signature, no certificate. optional: checked when present. off: not read. */
    mode: z.enum(["required", "optional", "off"]).default("required"),
    /** The Signature-Input member the hop writes; other members (a client's own signature) are ignored. */
    label: label.default(DEFAULT_SIGNATURE_LABEL),
    /** Every key the hop may sign with: during a rotation, the old and the new one. */
    keys: z.array(signatureKeySchema).default([]),
    /** Oldest `created` accepted: also how long a captured request can be replayed to another instance. */
    maxAgeSeconds: z.number().int().min(1).max(300).default(10),
    /** Tolerated difference between the hop's clock and ours, both ways. */
    clockSkewSeconds: z.number().int().min(0).max(60).default(2),
    /**
     * Where the hop puts the two fields. RFC 9421 names them Signature-Input and Signature; a hop that
     * forwards the whole request must use other names when TPPs send a Berlin Group `Signature` header.
     */
    headers: z
      .strictObject({
        signature: headerName.default(DEFAULT_SIGNATURE_HEADER),
        input: headerName.default(DEFAULT_SIGNATURE_INPUT_HEADER),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.mode !== "off" && config.keys.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["keys"],
        message: `list at least one key for mode ${config.mode}`,
      });
    const seen = new Set<string>();
    config.keys.forEach((key, index) => {
      if (seen.has(key.keyid))
        ctx.addIssue({
          code: "custom",
          path: ["keys", index, "keyid"],
          message: `${key.keyid} listed twice`,
        });
      seen.add(key.keyid);
    });
    if (config.headers.signature === config.headers.input)
      ctx.addIssue({ code: "custom", path: ["headers"], message: "signature and input need two headers" });
  });

export type SignatureConfig = z.output<typeof signatureSchema>;
