import { createHash } from "node:crypto";

/** A certificate as it arrived, decoded to DER but not yet parsed. */
export interface PresentedCertificate {
  readonly der: Buffer;
  /** SHA-256 of the DER, lower-case hex: the cache key and the identity the upstream sees. */
  readonly sha256: string;
  /** Untrusted certificates sent along with the leaf (e.g. an XFCC Chain), DER. */
  readonly offered: readonly Buffer[];
  /** Where it came from, for the log and the audit trail. */
  readonly via: CertificateOrigin;
}

export type CertificateOrigin = "peer" | "xfcc" | "client-cert" | "header";

export function presented(
  der: Buffer,
  via: CertificateOrigin,
  offered: readonly Buffer[] = [],
): PresentedCertificate {
  return { der, sha256: createHash("sha256").update(der).digest("hex"), offered, via };
}
