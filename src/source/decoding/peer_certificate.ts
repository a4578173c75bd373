import type { CheckInput } from "../../foundation/check_input.js";
import { deny } from "../../foundation/reasons.js";
import { fail, ok, type Result } from "../../foundation/result.js";
import type { CertificateSource } from "./certificate_source.js";
import { type CacheLimits, DecodedValues } from "./decoded_values.js";
import { pemFromPercentEncoded } from "./pem.js";
import { admitWhenChained, type PresentedCertificate, presented } from "./presented_certificate.js";

/**
 * Envoy's `source.certificate`: the leaf only, PEM, percent-encoded (RFC 3986 style, upper-case hex).
 * Decoded certificates are remembered by their exact encoded form, so a returning TPP costs one map
 * lookup here: no percent-decoding, no base64, no hashing on the warm path.
 */
export class PeerCertificates implements CertificateSource {
  readonly origin = "peer";
  readonly headers: readonly string[] = [];
  private readonly decoded: DecodedValues<PresentedCertificate>;

  constructor(
    private readonly maxBytes: number,
    cache: CacheLimits,
  ) {
    this.decoded = new DecodedValues(cache, admitWhenChained);
  }

  /** undefined when the connection carried no client certificate. */
  read(input: CheckInput): Result<PresentedCertificate> | undefined {
    const encoded = input.peer.certificate;
    if (encoded === undefined) return undefined;
    return this.decoded.get(encoded, (value) => decodePeerCertificate(value, this.maxBytes));
  }
}

export function decodePeerCertificate(encoded: string, maxBytes: number): Result<PresentedCertificate> {
  if (encoded.length > maxBytes)
    return fail(deny("CERT_MALFORMED", `certificate attribute over ${maxBytes} bytes`));
  const blocks = pemFromPercentEncoded(encoded, 1);
  if (!blocks.ok) return blocks;
  return ok(presented(blocks.value[0]!, "peer"));
}
