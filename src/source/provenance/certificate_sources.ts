import type { CheckInput, PeerInput } from "../../foundation/check_input.js";
import { deny } from "../../foundation/reasons.js";
import { fail, type Result } from "../../foundation/result.js";
import type { CertificateSource } from "../decoding/certificate_source.js";
import type { PresentedCertificate } from "../decoding/presented_certificate.js";
import type { TrustedHops } from "./trusted_hops.js";

/**
 * The configured sources, in order: the first one that has something in the request decides. A forwarded
 * source's header from a hop that is not trusted is a denial (CERT_FORWARDED_UNTRUSTED_HOP), not a skip:
 * such a header is either an attack or a proxy missing from `trustedHops`, and both should be seen in the
 * log and the metrics rather than pass as an ordinary CERT_MISSING. From a trusted hop that must sign, the
 * signature over the header is verified next (FORWARDED_SIGNATURE_*). Both checks run before any decoding,
 * so nobody can make the service parse a certificate that the hop did not vouch for.
 */
export class CertificateSources {
  constructor(
    private readonly sources: readonly CertificateSource[],
    private readonly hops: TrustedHops,
  ) {}

  /** undefined when no source has a certificate. `now` dates the forwarding signature. */
  read(input: CheckInput, now: Date): Result<PresentedCertificate> | undefined {
    for (const source of this.sources) {
      const carried = carriedHeaders(input, source);
      if (carried.length > 0) {
        const hop = this.hops.match(input.peer);
        if (hop === undefined) {
          return fail(
            deny("CERT_FORWARDED_UNTRUSTED_HOP", `${source.origin} header from ${describePeer(input.peer)}`),
          );
        }
        const unsigned = hop.signature?.check(input, carried, now);
        if (unsigned !== undefined) return fail(unsigned);
      }
      const presented = source.read(input);
      if (presented !== undefined) return presented;
    }
    return undefined;
  }
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * The forwarded source's headers that are present and non-empty: the ones a signature must cover. The
 * peer source has no headers; the others have one or two, and when all are there (the usual case) the
 * source's own list is the answer, so a request allocates nothing here.
 */
function carriedHeaders(input: CheckInput, source: CertificateSource): readonly string[] {
  const names = source.headers;
  let carried = 0;
  for (const name of names) if (isCarried(input, name)) carried++;
  if (carried === names.length) return names;
  return carried === 0 ? NONE : names.filter((name) => isCarried(input, name));
}

function isCarried(input: CheckInput, name: string): boolean {
  const value = input.headers.get(name);
  return value !== undefined && value !== "";
}

function describePeer(peer: PeerInput): string {
  const address = peer.address ?? "unknown address";
  return peer.principal === undefined ? address : `${address} (${peer.principal.slice(0, 200)})`;
}
