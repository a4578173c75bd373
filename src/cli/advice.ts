import type { DenyReason } from "../foundation/reasons.js";

/**
 * What has to happen for each deny reason, written for the ticket an operator sends to a TPP. Keyed by
 * the closed reason set, so a new reason does not compile until someone writes its advice.
 */
export type Actor = "tpp" | "operator" | "tpp-or-operator";

export interface Advice {
  readonly actor: Actor;
  readonly action: string;
}

/** CERT_NOT_QWAC for a certificate that is a QSealC (QcType eseal): only then is the seal worth naming. */
export const QSEALC_NOT_QWAC_ADVICE: Advice = {
  actor: "tpp",
  action:
    "The TPP must use its QWAC (a qualified certificate with QcType web) as the TLS client certificate. " +
    "This is a QSealC (QcType eseal): it is for sealing messages, not for TLS.",
};

export const ADVICE: Readonly<Record<DenyReason, Advice>> = {
  CERT_MISSING: { actor: "tpp", action: "The TPP must present its QWAC as the TLS client certificate." },
  CERT_MALFORMED: {
    actor: "tpp",
    action: "The TPP must present its QWAC exactly as its QTSP issued it (an X.509 certificate, PEM or DER).",
  },
  CERT_NOT_QWAC: {
    actor: "tpp",
    action:
      "The TPP must use its QWAC (a qualified certificate with QcType web) as the TLS client certificate.",
  },
  CERT_PSD2_STATEMENT_INVALID: {
    actor: "tpp",
    action:
      "The TPP must have its QTSP issue a QWAC whose PSD2 QC statement (ETSI TS 119 495) lists its " +
      "authorised roles and its NCA.",
  },
  CERT_ROLE_MISMATCH: {
    actor: "tpp",
    action: "The TPP must have the certificate reissued: its QTSP gave a role OID the name of another role.",
  },
  CERT_ORG_ID_INVALID: {
    actor: "tpp",
    action:
      "The TPP must have the certificate reissued with an organizationIdentifier of the form " +
      "PSD<country>-<NCA>-<authorisation number> that names the same NCA as the PSD2 statement.",
  },
  CERT_NOT_YET_VALID: {
    actor: "tpp",
    action: "The TPP must keep using its current certificate until this one becomes valid.",
  },
  CERT_EXPIRED: {
    actor: "tpp",
    action: "The TPP must obtain a new QWAC from its QTSP and present it instead of this one.",
  },
  CERT_UNTRUSTED: {
    actor: "tpp-or-operator",
    action:
      "If the issuing QTSP is on the EU Trusted List for QWACs, the operator must add its root to " +
      "trust.anchors and its issuing CA to trust.intermediates; otherwise the TPP must use a QWAC " +
      "from a qualified trust service provider.",
  },
  CERT_ISSUER_NOT_LISTED: {
    actor: "tpp-or-operator",
    action:
      "The TPP must use a QWAC from a CA listed on an EU trusted list; if it is listed, the operator must " +
      "check that its territory is in trust.trustedLists.territories and that the list loaded (metrics).",
  },
  CERT_NOT_QUALIFIED: {
    actor: "tpp",
    action:
      "The issuing service is not granted for website authentication on its trusted list (at issuance or " +
      "now, see the detail): the TPP must obtain a QWAC from a granted service.",
  },
  CERT_CHAIN_INVALID: {
    actor: "tpp",
    action: "The TPP must ask its QTSP: a certificate on the chain breaks a constraint (see the detail).",
  },
  CERT_REVOKED: {
    actor: "tpp",
    action: "The QTSP has revoked this certificate: the TPP must obtain a new QWAC and stop using this one.",
  },
  CERT_ON_HOLD: {
    actor: "tpp",
    action: "The QTSP has suspended this certificate: the TPP must contact its QTSP.",
  },
  CERT_REVOCATION_UNKNOWN: {
    actor: "tpp",
    action:
      "The QTSP's responder does not know this certificate: the TPP must check with its QTSP that it " +
      "issued it (a certificate issued minutes ago may not be published yet).",
  },
  REVOCATION_UNAVAILABLE: {
    actor: "operator",
    action:
      "The operator must check that the gateway reaches the QTSP's OCSP responder or CRL " +
      "(revocation.issuers can point to another URL) and that the responder answers.",
  },
  ROLE_NOT_ALLOWED: {
    actor: "tpp",
    action:
      "The TPP needs its NCA's authorisation for this service and a QWAC that lists the role; " +
      "without them it must not call this endpoint.",
  },
  ROUTE_NOT_ALLOWED: {
    actor: "tpp",
    action:
      "No policy rule permits this method and path: the TPP must check the endpoint against the API " +
      "specification (this is not a certificate problem).",
  },
  PATH_INVALID: {
    actor: "tpp",
    action: "The TPP must send the path in plain form (no encoded slashes, dot segments or empty segments).",
  },
  REQUEST_INVALID: { actor: "tpp", action: "The TPP must send a well-formed request." },
  CERT_FORWARDED_UNTRUSTED_HOP: {
    actor: "operator",
    action:
      "A proxy that is not in trustedHops forwarded the certificate: the operator must add that proxy " +
      "(its address block or mTLS principal) to trustedHops, or stop the header from reaching the gateway.",
  },
  FORWARDED_SIGNATURE_MISSING: {
    actor: "operator",
    action:
      "The trusted hop requires a signed certificate header but the request had no signature under its " +
      "label: the operator must check that the proxy that terminates TLS runs the signer " +
      "(deploy/nginx/gatekeeper_signer.js) and that nothing between it and the gateway drops " +
      "Signature-Input/Signature.",
  },
  FORWARDED_SIGNATURE_MALFORMED: {
    actor: "operator",
    action:
      "The proxy's Signature-Input or Signature could not be read (see the detail): the operator must fix " +
      "the signer's configuration; a hop that rewrites or joins these headers breaks them too.",
  },
  FORWARDED_SIGNATURE_UNKNOWN_KEY: {
    actor: "operator",
    action:
      "The proxy signed with a keyid this hop does not list: the operator must add the key to " +
      "trustedHops[].signature.keys before the proxy starts using it (rotation), or correct the keyid.",
  },
  FORWARDED_SIGNATURE_INVALID: {
    actor: "operator",
    action:
      "The signature does not match the request as the gateway received it: something between the " +
      "signing proxy and the gateway changed the certificate header or the request line (an injected " +
      "header, a rewriting hop), or the two sides hold different keys under the same keyid. Find the hop.",
  },
  FORWARDED_SIGNATURE_EXPIRED: {
    actor: "operator",
    action:
      "The signature is older than maxAgeSeconds or dated in the future beyond clockSkewSeconds: the " +
      "operator must check the clocks (NTP) of the proxy and the gateway; a signature replayed later is " +
      "refused the same way, so also look for a hop that stores and resends requests.",
  },
  FORWARDED_SIGNATURE_REPLAYED: {
    actor: "operator",
    action:
      "A signature with a nonce the gateway has already accepted arrived again: either a hop retried the " +
      "authorization request verbatim or someone replayed it. The operator must find the hop.",
  },
  SNI_MISSING: {
    actor: "tpp",
    action: "The TPP's TLS client must send the server name (SNI) of the API host it connects to.",
  },
  SNI_MISMATCH: {
    actor: "tpp",
    action: "The TPP must connect to the API host name the bank published (the SNI names another host).",
  },
};

/** "the PSD2 role PSP_PI is required for POST /v1/payments/... (rule pis-payments); the certificate has PSP_AI" */
export function roleExplanation(
  request: { readonly method: string; readonly path: string },
  ruleId: string,
  required: readonly string[],
  held: readonly string[],
): string {
  const needs =
    required.length === 1
      ? `the PSD2 role ${required[0]} is required`
      : `one of the PSD2 roles ${required.join(", ")} is required`;
  const has = held.length === 0 ? "none" : held.join(", ");
  return `${needs} for ${request.method} ${request.path} (rule ${ruleId}); the certificate has ${has}`;
}
