import { X509Certificate } from "@peculiar/x509";
import { LRUCache } from "lru-cache";
import type { RevocationStatus } from "../revocation/revocation.js";
import type { PresentedCertificate } from "../source/decoding/presented_certificate.js";
import type { Decision } from "./decision.js";

/**
 * What on-call needs to find a refused certificate (issue 14): its SHA-256 (what `openssl x509
 * -fingerprint -sha256` and Envoy's %DOWNSTREAM_PEER_FINGERPRINT_256% print), serial and issuer. Read only
 * for a denial that got no verified identity; a certificate too broken to parse still has its SHA-256.
 */
export interface CertificateFacts {
  readonly sha256: string;
  /** Hex, as the issuer prints it; undefined when the DER does not parse. */
  readonly serial: string | undefined;
  /** RFC 4514 form; undefined when the DER does not parse. */
  readonly issuer: string | undefined;
}

/**
 * The issuer of a refused certificate is attacker-chosen and may be kilobytes (issue 13, item 3): enough
 * of it to recognise the CA is kept, so a flood cannot inflate every log line and cached fact.
 */
export const MAX_LOGGED_ISSUER_CHARS = 200;

/** A TPP retrying with a bad certificate is parsed once, not on every refusal. */
const seen = new LRUCache<string, CertificateFacts>({ max: 1_000 });

export function certificateFacts(presented: PresentedCertificate): CertificateFacts {
  const cached = seen.get(presented.sha256);
  if (cached !== undefined) return cached;
  const facts = parsedFacts(presented);
  seen.set(presented.sha256, facts);
  return facts;
}

function parsedFacts(presented: PresentedCertificate): CertificateFacts {
  try {
    const cert = new X509Certificate(presented.der);
    return { sha256: presented.sha256, serial: cert.serialNumber, issuer: capped(cert.issuer) };
  } catch {
    return { sha256: presented.sha256, serial: undefined, issuer: undefined };
  }
}

function capped(issuer: string): string {
  return issuer.length <= MAX_LOGGED_ISSUER_CHARS ? issuer : `${issuer.slice(0, MAX_LOGGED_ISSUER_CHARS)}…`;
}

/** The certificate fields of a decision line, the same names in the decision log and the audit trail. */
export interface CertificateFields {
  readonly certSha256: string | undefined;
  readonly certSerial: string | undefined;
  readonly certIssuer: string | undefined;
}

const NO_CERTIFICATE: CertificateFields = Object.freeze({
  certSha256: undefined,
  certSerial: undefined,
  certIssuer: undefined,
});

/** For a denial: the verified identity's certificate, or the refused one's facts; nothing for an allow. */
export function deniedCertificateFields(decision: Decision): CertificateFields {
  if (decision.allowed) return NO_CERTIFICATE;
  if (decision.tpp !== undefined) {
    return {
      certSha256: decision.tpp.certSha256,
      certSerial: decision.tpp.certSerial,
      certIssuer: decision.tpp.certIssuer,
    };
  }
  if (decision.certificate === undefined) return NO_CERTIFICATE;
  const facts = certificateFacts(decision.certificate);
  return { certSha256: facts.sha256, certSerial: facts.serial, certIssuer: facts.issuer };
}

/**
 * The revocation field of a decision line: with revocation switched off nothing was checked, so the line
 * says "off", never "good" (issue 14: an operator reading "good" believes a responder said so).
 */
export function revocationLabel(status: RevocationStatus | undefined): string | undefined {
  if (status === undefined) return undefined;
  return status.status === "good" && status.source === "disabled" ? "off" : status.status;
}
