/*
 * RFC 9421 HTTP Message Signature for the gatekeeper's auth_request (nginx njs 0.7+, Debian
 * libnginx-mod-http-js). nginx terminates the TPP's TLS; this signs, with a shared HMAC-SHA256 key, the
 * values the gatekeeper reads from the authorization request:
 *
 *   "@method"            X-Original-Method  ($request_method)
 *   "@authority"         X-Original-Host    ($gatekeeper_authority, from this module)
 *   "@path" "@query"     X-Original-URI     ($request_uri)
 *   "x-ssl-client-cert"  X-SSL-Client-Cert  ($ssl_client_escaped_cert), when the TPP sent a certificate
 *   "x-forwarded-sni"    X-Forwarded-Sni    ($ssl_server_name), when the TPP sent SNI
 *
 * with created, keyid, alg and a random nonce. The gatekeeper rebuilds the same lines from the headers it
 * receives, so a certificate header injected or changed by any hop after nginx fails verification.
 *
 * The key is preloaded once, at configuration time, by the master process (which can read a root-only
 * file) as `gatekeeper_signing_key`; nothing is read per request. See gatekeeper_signing.conf and
 * docs/signed-forwarding.md.
 */

// biome-ignore lint/style/useNodejsImportProtocol: njs names its module "crypto", not "node:crypto".
import nodeCrypto from "crypto";

const LABEL = "proxy";
const CERT_HEADER = "x-ssl-client-cert";
const SNI_HEADER = "x-forwarded-sni";

/* The authority the TPP addressed, lower-cased (RFC 9421 section 2.2.3); also sent as X-Original-Host. */
function authority(r) {
  return (r.variables.http_host || r.variables.host || "").toLowerCase();
}

/* The covered components and their values, in signing order. */
function components(r) {
  const uri = r.variables.request_uri || "/";
  const query = uri.indexOf("?");
  const list = [
    ["@method", r.variables.request_method],
    ["@authority", authority(r)],
    ["@path", query < 0 ? uri : uri.slice(0, query)],
    ["@query", query < 0 ? "?" : uri.slice(query)],
  ];
  const cert = r.variables.ssl_client_escaped_cert;
  if (cert) list.push([CERT_HEADER, cert]);
  const sni = r.variables.ssl_server_name;
  if (sni) list.push([SNI_HEADER, sni]);
  return list;
}

/* RFC 8941 String: quotes and backslashes escaped. */
function sfString(value) {
  return `"${String(value).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function randomNonce() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("hex");
}

/*
 * The @signature-params value, computed once per request and kept in $gatekeeper_signature_params, so
 * that Signature-Input and Signature (two variables, evaluated separately) agree on created and nonce.
 */
function params(r) {
  const memo = r.variables.gatekeeper_signature_params;
  if (memo) return memo;
  const names = components(r).map((c) => sfString(c[0]));
  const created = Math.floor(Date.now() / 1000);
  const value =
    `(${names.join(" ")});created=${created};keyid=${sfString(gatekeeper_signing_key.keyid)}` +
    `;alg="hmac-sha256";nonce=${sfString(randomNonce())}`;
  r.variables.gatekeeper_signature_params = value;
  return value;
}

function signatureInput(r) {
  return `${LABEL}=${params(r)}`;
}

/* RFC 9421 section 2.5: one line per component, then "@signature-params"; no trailing newline. */
function signature(r) {
  const lines = components(r).map((c) => `${sfString(c[0])}: ${c[1]}`);
  const base = `${lines.join("\n")}\n"@signature-params": ${params(r)}`;
  const mac = nodeCrypto
    .createHmac("sha256", Buffer.from(gatekeeper_signing_key.secret, "base64"))
    .update(base)
    .digest("base64");
  return `${LABEL}=:${mac}:`;
}

export default { authority, signatureInput, signature };
