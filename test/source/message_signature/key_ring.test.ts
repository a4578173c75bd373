import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/foundation/config_error.js";
import { type KeySpec, loadKeyRing } from "../../../src/source/provenance/message_signature/key_ring.js";

const dir = mkdtempSync(join(tmpdir(), "key-ring-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CONFIG = join(dir, "gatekeeper.yaml");

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const ed = generateKeyPairSync("ed25519");
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
const pem = (key: { export(o: { type: "spki"; format: "pem" }): string | Buffer }) =>
  String(key.export({ type: "spki", format: "pem" }));

function problem(spec: KeySpec): ConfigError {
  try {
    loadKeyRing([spec], CONFIG, "trustedHops.0.signature.keys");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loading a hop's keys", () => {
  it("reads an HMAC secret as base64, and PEM public keys, relative to the config file", () => {
    const ring = loadKeyRing(
      [
        {
          keyid: "nginx-1",
          alg: "hmac-sha256",
          file: file("nginx-1.key", `${randomBytes(32).toString("base64")}\n`),
        },
        { keyid: "lb-ed", alg: "ed25519", file: file("lb-ed.pem", pem(ed.publicKey)) },
        { keyid: "lb-ec", alg: "ecdsa-p256-sha256", file: join(dir, file("lb-ec.pem", pem(p256.publicKey))) },
      ],
      CONFIG,
      "trustedHops.signature.keys",
    );
    expect(ring.get("nginx-1")?.alg).toBe("hmac-sha256");
    expect(ring.get("lb-ed")?.key.asymmetricKeyType).toBe("ed25519");
    expect(ring.get("lb-ec")?.key.asymmetricKeyType).toBe("ec");
    expect(ring.get("unknown")).toBeUndefined();
  });

  it.each([
    ["a missing file", { keyid: "k", alg: "hmac-sha256", file: "absent.key" }, /cannot read .*ENOENT/],
    [
      "a secret shorter than 32 bytes",
      { keyid: "k", alg: "hmac-sha256", file: file("short.key", randomBytes(16).toString("base64")) },
      /16 bytes; use at least 32/,
    ],
    [
      "a secret that is not base64",
      { keyid: "k", alg: "hmac-sha256", file: file("text.key", "correct horse battery staple") },
      /one line of base64/,
    ],
    [
      "a private key where a public key belongs",
      {
        keyid: "k",
        alg: "ed25519",
        file: file("private.pem", String(ed.privateKey.export({ type: "pkcs8", format: "pem" }))),
      },
      /private key/,
    ],
    [
      "a key of another type",
      { keyid: "k", alg: "ed25519", file: file("ec.pem", pem(p256.publicKey)) },
      /not ed25519/,
    ],
    [
      "an EC key on another curve",
      { keyid: "k", alg: "ecdsa-p256-sha256", file: file("p384.pem", pem(p384.publicKey)) },
      /secp384r1 key, not ECDSA P-256/,
    ],
    [
      "text that is no key",
      { keyid: "k", alg: "ed25519", file: file("junk.pem", "junk") },
      /not a PEM public key/,
    ],
  ] satisfies [string, KeySpec, RegExp][])(
    "refuses %s at load time, naming the key",
    (_case, spec, message) => {
      const error = problem(spec);
      expect(error.key).toBe("trustedHops.0.signature.keys.0.file");
      expect(error.problem).toMatch(message);
    },
  );
});
