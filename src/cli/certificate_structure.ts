import { X509Certificate } from "@peculiar/x509";
import { type Denial, deny } from "../foundation/reasons.js";
import { certFacts } from "../trust/cert_facts.js";
import { leafOwnDenial } from "../trust/path_rules.js";

/**
 * The service's verdict on the leaf as a certificate, before trust: what it answers whatever the
 * configuration, so `qwac inspect` gives it without --config as well.
 *
 * - CERT_MALFORMED: the structure or an extension the chain rules read (basicConstraints, keyUsage,
 *   extKeyUsage, the key identifiers) does not decode, or the version forbids the extensions
 *   (cert_facts.ts); or any other extension the library decodes (subjectAltName, cRLDistributionPoints,
 *   authorityInfoAccess, certificatePolicies, ...) does not, which the service meets on first access and
 *   answers the same way (verified_certificates.ts).
 * - CERT_CHAIN_INVALID: a leaf rule that needs no issuer (path_rules.ts), e.g. a CT precertificate.
 */
export function leafStructureDenial(leaf: X509Certificate): Denial | undefined {
  const facts = certFacts(leaf);
  if (!facts.ok) return facts.error;
  try {
    // A fresh copy: the library keeps whatever a failed first decode left, so another reader's earlier
    // attempt on `leaf` must not make this one pass.
    void new X509Certificate(leaf.rawData).extensions;
  } catch (error) {
    return deny("CERT_MALFORMED", `undecodable certificate: ${(error as Error).message}`);
  }
  return leafOwnDenial(facts.value);
}
