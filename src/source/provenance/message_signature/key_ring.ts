import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError, readFailure } from "../../../foundation/config_error.js";
import { fail, ok, type Result } from "../../../foundation/result.js";
import type { SignatureAlgorithm, VerificationKey } from "./algorithms.js";

/** A key as the config file names it. */
export interface KeySpec {
  readonly keyid: string;
  readonly alg: SignatureAlgorithm;
  /** Relative paths are resolved against the config file's folder. */
  readonly file: string;
}

/**
 * The keys one trusted hop may sign with, by `keyid`. Several are active at once so a key can be
 * rotated without a gap: the new key is listed before the proxy signs with it, the old one removed after.
 * Key files are read and parsed once, when the configuration is loaded; a request only looks a key up.
 */
export class KeyRing {
  private readonly keys: ReadonlyMap<string, VerificationKey>;

  constructor(keys: readonly VerificationKey[]) {
    this.keys = new Map(keys.map((key) => [key.keyid, key]));
  }

  get(keyid: string): VerificationKey | undefined {
    return this.keys.get(keyid);
  }
}

/**
 * Shorter HMAC secrets are refused: RFC 2104 §3 asks for at least the hash output length, and a short
 * shared secret is the weakest link of the whole scheme.
 */
export const MIN_HMAC_SECRET_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Throws ConfigError naming the config file and the key's position (`where`) for any unusable key. */
export function loadKeyRing(specs: readonly KeySpec[], configFile: string, where: string): KeyRing {
  const baseDir = dirname(configFile);
  return new KeyRing(
    specs.map((spec, index) => {
      const path = isAbsolute(spec.file) ? spec.file : resolve(baseDir, spec.file);
      const key = parseKey(spec.alg, readKeyFile(path, configFile, `${where}.${index}.file`));
      if (!key.ok) throw new ConfigError(configFile, `${where}.${index}.file`, `${path}: ${key.error}`);
      return { keyid: spec.keyid, alg: spec.alg, key: key.value };
    }),
  );
}

function readKeyFile(path: string, configFile: string, key: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(configFile, key, `cannot read ${path}: ${readFailure(path, error)}`);
  }
}

/** The key object, or why the text is not a key for `alg`. */
export function parseKey(alg: SignatureAlgorithm, text: string): Result<KeyObject, string> {
  return alg === "hmac-sha256" ? hmacSecret(text) : publicKey(alg, text);
}

/** One line of base64, as `openssl rand -base64 32` writes it; the njs signer reads the same text. */
function hmacSecret(text: string): Result<KeyObject, string> {
  const body = text.trim();
  if (!BASE64.test(body)) return fail("an hmac-sha256 key file holds the secret as one line of base64");
  const secret = Buffer.from(body, "base64");
  if (secret.length < MIN_HMAC_SECRET_BYTES)
    return fail(`the hmac-sha256 secret is ${secret.length} bytes; use at least ${MIN_HMAC_SECRET_BYTES}`);
  return ok(createSecretKey(secret));
}

/**
 * A PEM public key (SPKI) of the algorithm's type. A private key is refused: the gateway only verifies,
 * and a signing key on the verifier's disk would let anyone who reads it forge the proxy's signatures.
 */
function publicKey(alg: Exclude<SignatureAlgorithm, "hmac-sha256">, text: string): Result<KeyObject, string> {
  if (text.includes("PRIVATE KEY")) return fail("holds a private key; give the gateway the public key only");
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    return fail("not a PEM public key");
  }
  if (alg === "ed25519")
    return key.asymmetricKeyType === "ed25519"
      ? ok(key)
      : fail(`an ${key.asymmetricKeyType} key, not ed25519`);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return key.asymmetricKeyType === "ec" && curve === "prime256v1"
    ? ok(key)
    : fail(`an ${key.asymmetricKeyType}${curve === undefined ? "" : ` ${curve}`} key, not ECDSA P-256`);
}
