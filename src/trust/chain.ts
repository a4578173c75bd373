import type { X509Certificate } from "@peculiar/x509";
import type { Result } from "../result.js";

/** The QTSP roots and the intermediates the service may use to build a path; immutable once loaded. */
export interface TrustStore {
  readonly anchors: readonly X509Certificate[];
  readonly intermediates: readonly X509Certificate[];
}

/** A verified path from the leaf to an anchor. */
export interface ChainResult {
  /** leaf first, anchor last */
  readonly path: readonly X509Certificate[];
  /** The certificate that signed the leaf: what revocation needs. */
  readonly issuer: X509Certificate;
  readonly anchor: X509Certificate;
  /** The earliest notAfter on the path: no cached verdict may outlive it. */
  readonly validUntil: Date;
}

export interface ChainOptions {
  readonly now: Date;
  /** Extra untrusted certificates offered with the leaf (e.g. an XFCC Chain); never anchors. */
  readonly offered?: readonly X509Certificate[];
}

export declare function verifyChain(
  leaf: X509Certificate,
  store: TrustStore,
  options: ChainOptions,
): Promise<Result<ChainResult>>;
