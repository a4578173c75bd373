import { createHmac, type KeyObject, sign } from "node:crypto";

/**
 * An RFC 9421 signer written for the tests, independently of the verifier under test: it builds the
 * signature base and the two fields by string concatenation, as a proxy's signer would, so a test that
 * feeds its output to the verifier checks the verifier against the RFC, not against itself.
 */

export interface SignedRequest {
  readonly method: string;
  /** Path and query, as in the request line. */
  readonly target: string;
  readonly authority: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

export type SigningKey =
  | { readonly alg: "hmac-sha256"; readonly secret: Buffer }
  | { readonly alg: "ecdsa-p256-sha256" | "ed25519"; readonly privateKey: KeyObject };

export interface SignOptions {
  readonly covered: readonly string[];
  readonly keyid: string;
  readonly key: SigningKey;
  readonly created: number;
  readonly label?: string;
  readonly nonce?: string;
  readonly expires?: number;
  /** Write `alg` into the parameters (RFC 9421 leaves it optional). */
  readonly withAlg?: boolean;
}

export function componentOf(request: SignedRequest, name: string): string {
  const query = request.target.indexOf("?");
  switch (name) {
    case "@method":
      return request.method;
    case "@authority":
      return request.authority.toLowerCase();
    case "@path":
      return query < 0 ? request.target : request.target.slice(0, query);
    case "@query":
      return query < 0 ? "?" : request.target.slice(query);
    case "@target-uri":
      return `https://${request.authority.toLowerCase()}${request.target}`;
    case "@request-target":
      return request.target;
    default: {
      const value = request.headers[name];
      if (value === undefined) throw new Error(`test signer: the request has no ${name}`);
      return value.trim();
    }
  }
}

/** `{ "signature-input", "signature" }` header values for `request`. */
export function signRequest(request: SignedRequest, options: SignOptions): Record<string, string> {
  const label = options.label ?? "proxy";
  let params = `(${options.covered.map((name) => `"${name}"`).join(" ")});created=${options.created}`;
  if (options.expires !== undefined) params += `;expires=${options.expires}`;
  params += `;keyid="${options.keyid}"`;
  if (options.withAlg === true) params += `;alg="${options.key.alg}"`;
  if (options.nonce !== undefined) params += `;nonce="${options.nonce}"`;
  const lines = options.covered.map((name) => `"${name}": ${componentOf(request, name)}`);
  const base = [...lines, `"@signature-params": ${params}`].join("\n");
  return {
    "signature-input": `${label}=${params}`,
    signature: `${label}=:${signBase(options.key, Buffer.from(base)).toString("base64")}:`,
  };
}

export function signBase(key: SigningKey, base: Buffer): Buffer {
  switch (key.alg) {
    case "hmac-sha256":
      return createHmac("sha256", key.secret).update(base).digest();
    case "ecdsa-p256-sha256":
      return sign("sha256", base, { key: key.privateKey, dsaEncoding: "ieee-p1363" });
    case "ed25519":
      return sign(null, base, key.privateKey);
  }
}
