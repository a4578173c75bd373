import type { CheckInput, PeerInput } from "../check_input.js";
import { deny } from "../reasons.js";
import { fail, type Result } from "../result.js";
import type { CertificateSource } from "./certificate_source.js";
import type { PresentedCertificate } from "./presented_certificate.js";
import type { TrustedHops } from "./trusted_hops.js";

/**
 * The configured sources, in order: the first one that has something in the request decides. A forwarded
 * source's header from a hop that is not trusted is a denial (CERT_FORWARDED_UNTRUSTED_HOP), not a skip:
 * such a header is either an attack or a proxy missing from `trustedHops`, and both should be seen in the
 * log and the metrics rather than pass as an ordinary CERT_MISSING. The check runs before any decoding, so
 * an untrusted party cannot make the service parse what it sends.
 */
export class CertificateSources {
  constructor(
    private readonly sources: readonly CertificateSource[],
    private readonly hops: TrustedHops,
  ) {}

  /** undefined when no source has a certificate. */
  read(input: CheckInput): Result<PresentedCertificate> | undefined {
    for (const source of this.sources) {
      if (carries(input, source) && !this.hops.trusts(input.peer)) {
        return fail(
          deny("CERT_FORWARDED_UNTRUSTED_HOP", `${source.origin} header from ${describePeer(input.peer)}`),
        );
      }
      const presented = source.read(input);
      if (presented !== undefined) return presented;
    }
    return undefined;
  }
}

/** A forwarded source with a non-empty header in the request. */
function carries(input: CheckInput, source: CertificateSource): boolean {
  for (const name of source.headers) {
    const value = input.headers.get(name);
    if (value !== undefined && value !== "") return true;
  }
  return false;
}

function describePeer(peer: PeerInput): string {
  const address = peer.address ?? "unknown address";
  return peer.principal === undefined ? address : `${address} (${peer.principal.slice(0, 200)})`;
}
