import { sign } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, type Version } from "@peculiar/asn1-x509";
import { X509Certificate } from "@peculiar/x509";
import type { IssuedCertificate } from "../../src/demo/certificate_factory.js";

/**
 * `cert` with its tbsCertificate.version field set to `version` and nothing else changed, signed again by
 * `issuer`: the shape no certificate generator produces (a v1 or v2 certificate carrying extensions), with
 * a valid signature so that only the version rule can refuse it. ECDSA and PKCS#1 RSA issuers only.
 */
export function withVersion(
  cert: X509Certificate,
  version: Version,
  issuer: IssuedCertificate,
): X509Certificate {
  const asn = AsnConvert.parse(cert.rawData, Certificate);
  asn.tbsCertificate.version = version;
  const tbs = Buffer.from(AsnConvert.serialize(asn.tbsCertificate));
  asn.signatureValue = new Uint8Array(sign("sha256", tbs, issuer.keyPem)).buffer;
  return new X509Certificate(AsnConvert.serialize(asn));
}
