import { LRUCache } from "lru-cache";
import type { CheckInput } from "../check_input.js";
import { deny } from "../reasons.js";
import { fail, ok, type Result } from "../result.js";
import { pemCertificates } from "./pem.js";
import { type PresentedCertificate, presented } from "./presented_certificate.js";

/**
 * Envoy's `source.certificate`: the leaf only, PEM, percent-encoded (RFC 3986 style, upper-case hex).
 * Decoded certificates are remembered by their exact encoded form, so a returning TPP costs one map
 * lookup here: no percent-decoding, no base64, no hashing on the warm path.
 */
export class PeerCertificates {
  private readonly decoded: LRUCache<string, PresentedCertificate>;

  constructor(
    private readonly maxBytes: number,
    maxEntries: number,
  ) {
    this.decoded = new LRUCache({ max: maxEntries });
  }

  /** undefined when the connection carried no client certificate. */
  read(input: CheckInput): Result<PresentedCertificate> | undefined {
    const encoded = input.peer.certificate;
    if (encoded === undefined) return undefined;
    const known = this.decoded.get(encoded);
    if (known !== undefined) return ok(known);
    const result = decodePeerCertificate(encoded, this.maxBytes);
    if (result.ok) this.decoded.set(encoded, result.value);
    return result;
  }
}

export function decodePeerCertificate(encoded: string, maxBytes: number): Result<PresentedCertificate> {
  if (encoded.length > maxBytes)
    return fail(deny("CERT_MALFORMED", `certificate attribute over ${maxBytes} bytes`));
  const pem = percentDecode(encoded);
  if (pem === undefined)
    return fail(deny("CERT_MALFORMED", "invalid percent-encoding in certificate attribute"));
  const blocks = pemCertificates(pem, 1);
  if (!blocks.ok) return blocks;
  return ok(presented(blocks.value[0]!, "peer"));
}

/** Strict percent-decoding: a stray `%`, a bad hex pair or invalid UTF-8 is a malformed certificate. */
export function percentDecode(value: string): string | undefined {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
