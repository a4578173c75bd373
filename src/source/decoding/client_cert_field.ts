import { type BareItem, parseItem, parseList } from "structured-headers";
import type { CheckInput } from "../../foundation/check_input.js";
import { type Denial, deny } from "../../foundation/reasons.js";
import { fail, ok, type Result } from "../../foundation/result.js";
import { type CertificateSource, MAX_OFFERED_CERTIFICATES } from "./certificate_source.js";
import { type CacheLimits, DecodedValues } from "./decoded_values.js";
import { isDerSequence } from "./pem.js";
import { admitWhenChained, type PresentedCertificate, presented } from "./presented_certificate.js";

export const CLIENT_CERT_HEADER = "client-cert";
export const CLIENT_CERT_CHAIN_HEADER = "client-cert-chain";

/**
 * RFC 9440: `Client-Cert` is a structured-field Item, a Byte Sequence holding the leaf's DER;
 * `Client-Cert-Chain` is a List of Byte Sequences, the certificates that complete the path (the leaf is
 * not repeated in it). A chain without a certificate means nothing (RFC 9440 §2.2) and is not read.
 */
export class ClientCertFields implements CertificateSource {
  readonly origin = "client-cert";
  readonly headers: readonly string[] = [CLIENT_CERT_HEADER, CLIENT_CERT_CHAIN_HEADER];
  private readonly decoded: DecodedValues<PresentedCertificate>;

  constructor(
    private readonly maxCertificateBytes: number,
    cache: CacheLimits,
  ) {
    this.decoded = new DecodedValues(cache, admitWhenChained);
  }

  read(input: CheckInput): Result<PresentedCertificate> | undefined {
    const cert = input.headers.get(CLIENT_CERT_HEADER);
    if (cert === undefined || cert === "") return undefined;
    const chain = input.headers.get(CLIENT_CERT_CHAIN_HEADER) || undefined;
    // A valid Item never contains a line feed, and only valid pairs are remembered: the key is unambiguous.
    const key = chain === undefined ? cert : `${cert}\n${chain}`;
    return this.decoded.get(key, () => decodeClientCert(cert, chain, this.maxCertificateBytes));
  }
}

export function decodeClientCert(
  cert: string,
  chain: string | undefined,
  maxCertificateBytes: number,
): Result<PresentedCertificate> {
  if (cert.length > maxCertificateBytes)
    return fail(malformed(`Client-Cert over ${maxCertificateBytes} bytes`));
  const leaf = leafOf(cert);
  if (!leaf.ok) return leaf;
  const offered = chain === undefined ? ok([]) : chainOf(chain, maxCertificateBytes);
  return offered.ok ? ok(presented(leaf.value, "client-cert", offered.value)) : offered;
}

function leafOf(field: string): Result<Buffer> {
  let item: ReturnType<typeof parseItem>;
  try {
    item = parseItem(field);
  } catch {
    return fail(malformed("Client-Cert is not a structured-field item"));
  }
  return der(item[0], "Client-Cert");
}

function chainOf(field: string, maxCertificateBytes: number): Result<Buffer[]> {
  const maxBytes = maxCertificateBytes * MAX_OFFERED_CERTIFICATES;
  if (field.length > maxBytes) return fail(malformed(`Client-Cert-Chain over ${maxBytes} bytes`));
  let list: ReturnType<typeof parseList>;
  try {
    list = parseList(field);
  } catch {
    return fail(malformed("Client-Cert-Chain is not a structured-field list"));
  }
  if (list.length > MAX_OFFERED_CERTIFICATES)
    return fail(malformed(`Client-Cert-Chain has more than ${MAX_OFFERED_CERTIFICATES} certificates`));
  const certificates: Buffer[] = [];
  for (const [value] of list) {
    // An inner list is a list of items, never a certificate.
    if (Array.isArray(value)) return fail(malformed("Client-Cert-Chain member is an inner list"));
    const member = der(value, "Client-Cert-Chain member");
    if (!member.ok) return member;
    certificates.push(member.value);
  }
  return ok(certificates);
}

/** structured-headers returns every Byte Sequence as an ArrayBuffer and nothing else as one. */
function der(value: BareItem, what: string): Result<Buffer> {
  if (!(value instanceof ArrayBuffer)) return fail(malformed(`${what} is not a byte sequence`));
  const bytes = Buffer.from(value);
  return isDerSequence(bytes) ? ok(bytes) : fail(malformed(`${what} is not a DER SEQUENCE`));
}

function malformed(detail: string): Denial {
  return deny("CERT_MALFORMED", detail);
}
