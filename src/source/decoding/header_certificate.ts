import type { CheckInput } from "../../foundation/check_input.js";
import { type Denial, deny } from "../../foundation/reasons.js";
import { fail, ok, type Result } from "../../foundation/result.js";
import { type CertificateSource, MAX_OFFERED_CERTIFICATES } from "./certificate_source.js";
import { type CacheLimits, DecodedValues } from "./decoded_values.js";
import { derFromBase64, pemCertificates, percentDecoded } from "./pem.js";
import { admitWhenChained, type PresentedCertificate, presented } from "./presented_certificate.js";

/**
 * A configured header carrying the certificate the hop received, URL-encoded. Two spellings are read:
 * - PEM, one or more blocks, leaf first (nginx `$ssl_client_escaped_cert`, HAProxy, most load balancers);
 * - base64 DER without PEM armour, comma-separated, leaf first (Traefik's passTLSClientCert `pem: true`).
 * Certificates after the leaf are offered to path building as untrusted intermediates.
 */
export class HeaderCertificates implements CertificateSource {
  readonly origin = "header";
  readonly headers: readonly string[];
  private readonly decoded: DecodedValues<PresentedCertificate>;

  constructor(
    private readonly name: string,
    private readonly maxCertificateBytes: number,
    cache: CacheLimits,
  ) {
    this.headers = [name];
    this.decoded = new DecodedValues(cache, admitWhenChained);
  }

  read(input: CheckInput): Result<PresentedCertificate> | undefined {
    const value = input.headers.get(this.name);
    if (value === undefined || value === "") return undefined;
    return this.decoded.get(value, (encoded) => decodeHeaderCertificate(encoded, this.maxCertificateBytes));
  }
}

const PEM_BEGIN = "-----BEGIN";

export function decodeHeaderCertificate(
  value: string,
  maxCertificateBytes: number,
): Result<PresentedCertificate> {
  const maxBytes = maxCertificateBytes * (MAX_OFFERED_CERTIFICATES + 1);
  if (value.length > maxBytes) return fail(malformed(`header over ${maxBytes} bytes`));
  const text = percentDecoded(value.trim());
  if (text === undefined) return fail(malformed("invalid percent-encoding in certificate header"));
  const blocks = text.includes(PEM_BEGIN) ? pemBlocks(text) : base64Blocks(text);
  if (!blocks.ok) return blocks;
  const [leaf, ...offered] = blocks.value;
  return ok(presented(leaf!, "header", offered));
}

/**
 * PEM never contains a comma, so one here means two header lines were joined: a client-sent value and
 * the proxy's. Guessing which one the proxy wrote is how a forged certificate gets in; refuse instead.
 */
function pemBlocks(text: string): Result<Buffer[]> {
  if (text.includes(",")) return fail(malformed("several certificate header values"));
  return pemCertificates(text, MAX_OFFERED_CERTIFICATES + 1);
}

function base64Blocks(text: string): Result<Buffer[]> {
  const items = text.split(",");
  if (items.length > MAX_OFFERED_CERTIFICATES + 1)
    return fail(malformed(`more than ${MAX_OFFERED_CERTIFICATES + 1} certificates`));
  const blocks: Buffer[] = [];
  for (const item of items) {
    const body = item.trim();
    if (body === "") return fail(malformed("empty certificate in header"));
    const der = derFromBase64(body);
    if (!der.ok) return der;
    blocks.push(der.value);
  }
  return ok(blocks);
}

function malformed(detail: string): Denial {
  return deny("CERT_MALFORMED", detail);
}
