import { createHash } from "node:crypto";

/**
 * How proxies spell a forwarded certificate, written out independently of the code under test, so a test
 * that feeds these to a source checks the source against the proxy, not against itself.
 */

/**
 * Envoy's URL encoding of a PEM (`source.certificate`, XFCC `Cert`/`Chain`): every byte outside the RFC 3986
 * unreserved set as `%XX`, upper-case hex.
 */
export function envoyEncode(pem: string): string {
  return Array.from(Buffer.from(pem, "utf8"))
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

export interface XfccFields {
  readonly by?: string;
  readonly hash?: string;
  readonly cert?: string;
  readonly chain?: string;
  readonly subject?: string;
  readonly uri?: string;
  readonly dns?: readonly string[];
}

/**
 * One XFCC element in Envoy's key order (By, Hash, Cert, Chain, Subject, URI, DNS); Cert, Chain and
 * Subject quoted, as Envoy writes them. Hash defaults, as Envoy always writes it, to the SHA-256 of the
 * certificate (the Cert, else the first of the Chain). For elements from a real connection, with the SANs
 * the certificate really has, use envoy_xfcc.ts.
 */
export function xfccElement(fields: XfccFields): string {
  const pairs: string[] = [];
  if (fields.by !== undefined) pairs.push(`By=${fields.by}`);
  const hash = fields.hash ?? leafSha256(fields.cert ?? fields.chain);
  if (hash !== undefined) pairs.push(`Hash=${hash}`);
  if (fields.cert !== undefined) pairs.push(`Cert="${envoyEncode(fields.cert)}"`);
  if (fields.chain !== undefined) pairs.push(`Chain="${envoyEncode(fields.chain)}"`);
  if (fields.subject !== undefined) pairs.push(`Subject="${fields.subject}"`);
  if (fields.uri !== undefined) pairs.push(`URI=${fields.uri}`);
  for (const dns of fields.dns ?? []) pairs.push(`DNS=${dns}`);
  return pairs.join(";");
}

function leafSha256(pem: string | undefined): string | undefined {
  const body = pem?.match(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/)?.[1];
  if (body === undefined) return undefined;
  return createHash("sha256")
    .update(Buffer.from(body.replace(/\s/g, ""), "base64"))
    .digest("hex");
}

/** RFC 9440 / RFC 8941 Byte Sequence: `:` base64 `:`. */
export function byteSequence(der: Uint8Array): string {
  return `:${Buffer.from(der).toString("base64")}:`;
}

/** Traefik's passTLSClientCert `pem: true`: PEM bodies without armour or newlines, comma-separated. */
export function traefikCertificates(pems: readonly string[]): string {
  return pems
    .map((pem) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\n/g, ""))
    .join(",");
}
