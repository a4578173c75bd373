import { createHmac, type KeyObject, timingSafeEqual, verify } from "node:crypto";

/**
 * The RFC 9421 §3.3 algorithms this service verifies: a shared secret (what an nginx njs signer can
 * compute synchronously) and two asymmetric ones (a signer whose key the gateway never holds).
 */
export const SIGNATURE_ALGORITHMS = ["hmac-sha256", "ecdsa-p256-sha256", "ed25519"] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** One verification key: a secret for HMAC, a public key otherwise; parsed once, at load time. */
export interface VerificationKey {
  readonly keyid: string;
  readonly alg: SignatureAlgorithm;
  readonly key: KeyObject;
}

/** RFC 9421 §3.3.4: an ECDSA signature is r || s, 32 bytes each for P-256 (not DER). */
const P256_SIGNATURE_BYTES = 64;
/** RFC 9421 §3.3.6 / RFC 8032: an Ed25519 signature is 64 bytes. */
const ED25519_SIGNATURE_BYTES = 64;

/** True when `signature` was made over `base` with `key`. Never throws for a bad signature. */
export function verifySignature(key: VerificationKey, base: Buffer, signature: Buffer): boolean {
  switch (key.alg) {
    case "hmac-sha256": {
      const expected = createHmac("sha256", key.key).update(base).digest();
      // A MAC is compared in constant time: an early exit would leak how many leading bytes match.
      return signature.length === expected.length && timingSafeEqual(signature, expected);
    }
    case "ecdsa-p256-sha256":
      return (
        signature.length === P256_SIGNATURE_BYTES &&
        verify("sha256", base, { key: key.key, dsaEncoding: "ieee-p1363" }, signature)
      );
    case "ed25519":
      return signature.length === ED25519_SIGNATURE_BYTES && verify(null, base, key.key, signature);
  }
}
