import type { CheckInput } from "../check_input.js";
import { type Denial, deny } from "../reasons.js";
import { fail, ok, type Result } from "../result.js";
import { type CertificateSource, MAX_OFFERED_CERTIFICATES } from "./certificate_source.js";
import { type CacheLimits, DecodedValues } from "./decoded_values.js";
import { pemFromPercentEncoded } from "./pem.js";
import { admitWhenChained, type PresentedCertificate, presented } from "./presented_certificate.js";
import { parseXfcc, type XfccElement } from "./xfcc_header.js";

export const XFCC_HEADER = "x-forwarded-client-cert";

/**
 * Envoy's `x-forwarded-client-cert`. One element counts: the one added by the trusted hop nearest to us
 * (CertificateSources checks that hop before this runs). That is the last element, with one exception:
 * when the Envoy that calls us runs APPEND_FORWARD (an Istio sidecar does) and the hop connected to it
 * with mTLS, Envoy appends an element about the hop's own certificate, whose URI, DNS or Subject is the
 * hop's identity (`source.principal`). When the hop is trusted by that principal, that element is about
 * the hop, not the TPP, and the one before it, which the hop added, is read. Elements further out were
 * added by parties this service knows nothing about and are never read.
 */
export class XfccCertificates implements CertificateSource {
  readonly origin = "xfcc";
  readonly headers: readonly string[] = [XFCC_HEADER];
  private readonly decoded: DecodedValues<PresentedCertificate>;

  constructor(
    private readonly maxCertificateBytes: number,
    cache: CacheLimits,
    private readonly trustedPrincipals: ReadonlySet<string> = new Set(),
  ) {
    this.decoded = new DecodedValues(cache, admitWhenChained);
  }

  read(input: CheckInput): Result<PresentedCertificate> | undefined {
    const header = input.headers.get(XFCC_HEADER);
    if (header === undefined || header === "") return undefined;
    const principal = input.peer.principal;
    const hop = principal !== undefined && this.trustedPrincipals.has(principal) ? principal : undefined;
    // A header value never contains a line feed, so the key is unambiguous.
    const key = hop === undefined ? header : `${header}\n${hop}`;
    return this.decoded.get(key, () => decodeXfcc(header, this.maxCertificateBytes, hop));
  }
}

/**
 * The leaf is the nearest element's `Cert`, or the first certificate of its `Chain` when Envoy was told
 * to send only the chain. `Chain` includes the leaf (Envoy's definition); the rest of it is offered to
 * path building as untrusted intermediates.
 */
export function decodeXfcc(
  header: string,
  maxCertificateBytes: number,
  hopIdentity?: string,
): Result<PresentedCertificate> {
  const maxChainBytes = maxCertificateBytes * (MAX_OFFERED_CERTIFICATES + 1);
  if (header.length > maxCertificateBytes + 2 * maxChainBytes)
    return fail(malformed(`header over ${maxCertificateBytes + 2 * maxChainBytes} bytes`));
  const elements = parseXfcc(header);
  if (!elements.ok) return elements;
  const nearest = addedByHop(elements.value, hopIdentity);
  const cert = single(nearest, "cert", maxCertificateBytes);
  if (!cert.ok) return cert;
  const chain = single(nearest, "chain", maxChainBytes);
  if (!chain.ok) return chain;
  if (cert.value === undefined && chain.value === undefined)
    return fail(deny("CERT_MISSING", "the nearest x-forwarded-client-cert element has no Cert and no Chain"));
  const chainDer =
    chain.value === undefined ? ok([]) : pemFromPercentEncoded(chain.value, MAX_OFFERED_CERTIFICATES + 1);
  if (!chainDer.ok) return chainDer;
  const leaf =
    cert.value === undefined ? ok(chainDer.value.slice(0, 1)) : pemFromPercentEncoded(cert.value, 1);
  if (!leaf.ok) return leaf;
  const leafDer = leaf.value[0]!;
  return ok(
    presented(
      leafDer,
      "xfcc",
      chainDer.value.filter((der) => !der.equals(leafDer)),
    ),
  );
}

/**
 * The last element, except in the Istio sidecar pattern: the sidecar in front of us (APPEND_FORWARD)
 * appends an element *about* the trusted hop, and the hop's own element comes before it. That skip is
 * taken only when the last element was not written by the hop (its `By` is not the hop) and the element
 * before it was (`By` is the hop): a TPP whose certificate merely names the hop's identity in a SAN cannot
 * make us read an element the client typed.
 */
function addedByHop(elements: readonly XfccElement[], hopIdentity: string | undefined): XfccElement {
  const last = elements[elements.length - 1]!;
  if (hopIdentity === undefined || elements.length < 2 || !describes(last, hopIdentity)) return last;
  const previous = elements[elements.length - 2]!;
  return !writtenBy(last, hopIdentity) && writtenBy(previous, hopIdentity) ? previous : last;
}

function writtenBy(element: XfccElement, identity: string): boolean {
  return element.get("by")?.includes(identity) === true;
}

function describes(element: XfccElement, identity: string): boolean {
  return ["uri", "dns", "subject"].some((key) => element.get(key)?.includes(identity) === true);
}

/** At most one value: two `Cert`s in one element would leave us guessing which one the proxy wrote. */
function single(element: XfccElement, key: string, maxBytes: number): Result<string | undefined> {
  const values = element.get(key);
  if (values === undefined) return ok(undefined);
  if (values.length > 1) return fail(malformed(`${key} appears ${values.length} times in one element`));
  const value = values[0]!;
  return value.length > maxBytes ? fail(malformed(`${key} over ${maxBytes} bytes`)) : ok(value);
}

function malformed(detail: string): Denial {
  return deny("CERT_MALFORMED", `x-forwarded-client-cert: ${detail}`);
}
