import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { SubjectAlternativeNameExtension, X509Certificate } from "@peculiar/x509";
import { envoyEncode } from "./encodings.js";

/**
 * A mirror of Envoy's `ConnectionManagerUtility::mutateXfccRequestHeader`
 * (source/common/http/conn_manager_utility.cc), written out independently of the code under test so that a
 * test feeds the service exactly the header Envoy would build, flaws included:
 *
 * - `By=` once per URI SAN of Envoy's own (local) certificate, raw;
 * - `Hash=` the lower-case hex SHA-256 of the peer certificate's DER, raw;
 * - then, in this fixed order and only when enabled in `set_current_client_cert_details`:
 *   `Cert="<url-encoded PEM>"`, `Chain="<url-encoded PEMs>"`, `Subject="<RFC 2253>"` (always written when
 *   enabled, even empty), `URI=` once per URI SAN of the peer (`URI=` alone when it has none), `DNS=` once
 *   per DNS SAN;
 * - pairs joined with `;`. Nothing raw is escaped: a SAN containing `,` or `;` goes out as it is.
 *
 * SANITIZE_SET replaces the header with that element; APPEND_FORWARD appends it after a `,`; FORWARD_ONLY
 * keeps what came in; SANITIZE, and any mode on a connection without a peer certificate (except
 * ALWAYS_FORWARD_ONLY), removes the header.
 */

export type ForwardClientCertDetails =
  | "SANITIZE"
  | "FORWARD_ONLY"
  | "APPEND_FORWARD"
  | "SANITIZE_SET"
  | "ALWAYS_FORWARD_ONLY";

export interface SetCurrentClientCertDetails {
  readonly cert?: boolean;
  readonly chain?: boolean;
  readonly subject?: boolean;
  readonly uri?: boolean;
  readonly dns?: boolean;
}

/** The TLS connection Envoy sets the element from. */
export interface EnvoyConnection {
  /** The client's certificate (PEM); undefined: no certificate presented. */
  readonly peer?: string;
  /** What the client sent besides the leaf, leaf first as Envoy's chain is (PEMs). */
  readonly peerChain?: readonly string[];
  /** URI SANs of Envoy's own certificate on this listener. */
  readonly localUriSans?: readonly string[];
}

export function envoyXfccHeader(
  mode: ForwardClientCertDetails,
  incoming: string | undefined,
  connection: EnvoyConnection,
  details: SetCurrentClientCertDetails,
): string | undefined {
  if (mode === "ALWAYS_FORWARD_ONLY") return incoming;
  if (mode === "SANITIZE" || connection.peer === undefined) return undefined;
  if (mode === "FORWARD_ONLY") return incoming;
  const element = envoyXfccElement(connection, details);
  if (mode === "SANITIZE_SET" || incoming === undefined || incoming === "") return element;
  return `${incoming},${element}`;
}

/** The element Envoy writes for one connection (APPEND_FORWARD, SANITIZE_SET). */
export function envoyXfccElement(connection: EnvoyConnection, details: SetCurrentClientCertDetails): string {
  const peerPem = connection.peer;
  if (peerPem === undefined) throw new Error("Envoy writes no element without a peer certificate");
  const peer = new X509Certificate(peerPem);
  const pairs: string[] = [];
  for (const uri of connection.localUriSans ?? []) pairs.push(`By=${uri}`);
  pairs.push(`Hash=${createHash("sha256").update(new Uint8Array(peer.rawData)).digest("hex")}`);
  if (details.cert === true) pairs.push(`Cert="${envoyEncode(peerPem)}"`);
  if (details.chain === true)
    pairs.push(`Chain="${envoyEncode([peerPem, ...(connection.peerChain ?? [])].join(""))}"`);
  if (details.subject === true) pairs.push(`Subject="${rfc2253Subject(peerPem)}"`);
  if (details.uri === true) {
    const uris = sans(peer, "url");
    pairs.push(...(uris.length === 0 ? ["URI="] : uris.map((uri) => `URI=${uri}`)));
  }
  if (details.dns === true) pairs.push(...sans(peer, "dns").map((dns) => `DNS=${dns}`));
  return pairs.join(";");
}

function sans(cert: X509Certificate, type: "url" | "dns"): string[] {
  const extension = cert.getExtension(SubjectAlternativeNameExtension);
  return (extension?.names.items ?? []).filter((name) => name.type === type).map((name) => name.value);
}

/**
 * BoringSSL's `X509_NAME_print_ex(..., XN_FLAG_RFC2253)`, which Envoy's `subjectPeerCertificate` uses;
 * OpenSSL shares that code, so its `-nameopt RFC2253` prints the same string (`"`, `,`, `;`, `\` escaped).
 */
export function rfc2253Subject(pem: string): string {
  const out = execFileSync("openssl", ["x509", "-noout", "-subject", "-nameopt", "RFC2253"], { input: pem });
  return out
    .toString("utf8")
    .trim()
    .replace(/^subject=/, "");
}
