import type { CheckInput } from "../../foundation/check_input.js";
import { type Denial, deny } from "../../foundation/reasons.js";
import { fail, ok, type Result } from "../../foundation/result.js";
import { type CertificateSource, MAX_OFFERED_CERTIFICATES } from "./certificate_source.js";
import { type CacheLimits, DecodedValues } from "./decoded_values.js";
import { pemFromPercentEncoded } from "./pem.js";
import { admitWhenChained, type PresentedCertificate, presented } from "./presented_certificate.js";
import { envoyElement, type XfccElement } from "./xfcc_element.js";
import { parseXfcc } from "./xfcc_header.js";

export const XFCC_HEADER = "x-forwarded-client-cert";

/**
 * Envoy's `x-forwarded-client-cert`, read only from a trusted hop (CertificateSources checks the hop
 * before this runs). A trusted hop sets the header itself (SANITIZE_SET, or a proxy that does the same),
 * so it holds exactly one element, the hop's, and that element is first. The only other element there can
 * legitimately be is one the Envoy that calls us appended about the hop (APPEND_FORWARD, an Istio sidecar)
 * when the hop reached it over mTLS, which is the case only for a hop trusted by principal. So the header
 * must have one element, or two when the second is that Envoy's element about the hop; any other count
 * means a client-controlled value (a SAN, which Envoy writes unescaped) split the hop's element, and is
 * refused as CERT_FORWARDED_UNTRUSTED_HOP. The element read is always the first: its Hash and Cert come
 * before every value a client can choose (Envoy's key order), so no client can move them.
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
 * The leaf is the hop's element's `Cert`, or the first certificate of its `Chain` when Envoy was told to
 * send only the chain; either must be the certificate the element's `Hash` names. `Chain` includes the
 * leaf (Envoy's definition); the rest of it is offered to path building as untrusted intermediates.
 */
export function decodeXfcc(
  header: string,
  maxCertificateBytes: number,
  hopIdentity?: string,
): Result<PresentedCertificate> {
  const maxChainBytes = maxCertificateBytes * (MAX_OFFERED_CERTIFICATES + 1);
  if (header.length > maxCertificateBytes + 2 * maxChainBytes)
    return fail(malformed(`header over ${maxCertificateBytes + 2 * maxChainBytes} bytes`));
  const element = hopElement(header, hopIdentity);
  if (!element.ok) return element;
  const { cert, chain, hash } = element.value;
  if (cert !== undefined && cert.length > maxCertificateBytes)
    return fail(malformed(`Cert over ${maxCertificateBytes} bytes`));
  if (chain !== undefined && chain.length > maxChainBytes)
    return fail(malformed(`Chain over ${maxChainBytes} bytes`));
  if (cert === undefined && chain === undefined)
    return fail(deny("CERT_MISSING", "the hop's x-forwarded-client-cert element has no Cert and no Chain"));
  const chainDer = chain === undefined ? ok([]) : pemFromPercentEncoded(chain, MAX_OFFERED_CERTIFICATES + 1);
  if (!chainDer.ok) return chainDer;
  const leaf = cert === undefined ? ok(chainDer.value.slice(0, 1)) : pemFromPercentEncoded(cert, 1);
  if (!leaf.ok) return leaf;
  const leafDer = leaf.value[0]!;
  const certificate = presented(
    leafDer,
    "xfcc",
    chainDer.value.filter((der) => !der.equals(leafDer)),
  );
  if (certificate.sha256 !== hash)
    return fail(untrusted("the element's Hash is not the SHA-256 of its certificate"));
  return ok(certificate);
}

/** Every element in Envoy's shape, in the count the hop can have produced; the hop's (the first) returned. */
function hopElement(header: string, hopIdentity: string | undefined): Result<XfccElement> {
  const parsed = parseXfcc(header);
  if (!parsed.ok) return parsed;
  const elements: XfccElement[] = [];
  for (const [index, pairs] of parsed.value.entries()) {
    const element = envoyElement(pairs, index);
    if (!element.ok) return element;
    elements.push(element.value);
  }
  const [first, second, ...more] = elements;
  if (first !== undefined && second === undefined) return ok(first);
  if (first !== undefined && second !== undefined && more.length === 0 && hopIdentity !== undefined) {
    if (appendedAboutHop(first, second, hopIdentity)) return ok(first);
  }
  const expected =
    hopIdentity === undefined ? "one" : "one, or two behind an Envoy that appended one about it";
  return fail(untrusted(`${elements.length} elements; the trusted hop accounts for ${expected}`));
}

/**
 * The Istio sidecar pattern: the second element is about the hop (its URI, DNS or Subject is the hop's
 * principal) and was not written by the hop (its `By` is not the hop), while the first was (`By` is the
 * hop). A TPP whose certificate merely names the hop in a SAN cannot pass for it: the hop's own element
 * names the hop in `By`, which comes from the hop's certificate, never the client's.
 */
function appendedAboutHop(first: XfccElement, second: XfccElement, hopIdentity: string): boolean {
  return describes(second, hopIdentity) && !second.by.includes(hopIdentity) && first.by.includes(hopIdentity);
}

function describes(element: XfccElement, identity: string): boolean {
  return element.uri.includes(identity) || element.dns.includes(identity) || element.subject === identity;
}

function untrusted(detail: string): Denial {
  return deny("CERT_FORWARDED_UNTRUSTED_HOP", `x-forwarded-client-cert: ${detail}`);
}

function malformed(detail: string): Denial {
  return deny("CERT_MALFORMED", `x-forwarded-client-cert: ${detail}`);
}
