import type { CheckInput } from "../check_input.js";
import { deny } from "../reasons.js";
import { fail, ok, type Result } from "../result.js";
import { pemCertificates } from "./pem.js";
import { type PresentedCertificate, presented } from "./presented_certificate.js";

/**
 * Envoy's `source.certificate`: the leaf only, PEM, percent-encoded (RFC 3986 style, upper-case hex).
 * Returns undefined when the connection carried no client certificate.
 */
export function peerCertificate(
  input: CheckInput,
  maxBytes: number,
): Result<PresentedCertificate> | undefined {
  const encoded = input.peer.certificate;
  if (encoded === undefined) return undefined;
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
