import { describe, expect, it } from "vitest";
import type { CheckInput } from "../../../src/foundation/check_input.js";
import { ok } from "../../../src/foundation/result.js";
import {
  type SignatureAlgorithm,
  verifySignature,
} from "../../../src/source/provenance/message_signature/algorithms.js";
import { parseKey } from "../../../src/source/provenance/message_signature/key_ring.js";
import {
  requestComponent,
  signatureBase,
} from "../../../src/source/provenance/message_signature/signature_base.js";
import { readSignatureFields } from "../../../src/source/provenance/message_signature/signature_fields.js";

/**
 * RFC 9421 Appendix B, copied from the RFC: the test keys (B.1), the test request and response (B.2), and
 * the signature bases and signatures of B.2.4 (ecdsa-p256-sha256, a response), B.2.5 (hmac-sha256) and
 * B.2.6 (ed25519). ECDSA is not deterministic, so B.2.4's given signature is verified, not reproduced.
 */

const TEST_SHARED_SECRET =
  "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";

const TEST_KEY_ECC_P256_PUBLIC = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf
w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END PUBLIC KEY-----
`;

const TEST_KEY_ED25519_PUBLIC = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
`;

/** B.2 test-request: POST /foo?param=Value&Pet=dog to example.com. */
const TEST_REQUEST: CheckInput = {
  requestId: "",
  method: "POST",
  rawPath: "/foo?param=Value&Pet=dog",
  host: "example.com",
  headers: new Map([
    ["host", "example.com"],
    ["date", "Tue, 20 Apr 2021 02:07:55 GMT"],
    ["content-type", "application/json"],
    [
      "content-digest",
      "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    ],
    ["content-length", "18"],
  ]),
  peer: { address: undefined, principal: undefined, certificate: undefined },
  sni: undefined,
  contextExtensions: {},
};

/** B.2 test-response: 200 with a JSON body. */
const TEST_RESPONSE: ReadonlyMap<string, string> = new Map([
  ["@status", "200"],
  ["date", "Tue, 20 Apr 2021 02:07:56 GMT"],
  ["content-type", "application/json"],
  [
    "content-digest",
    "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:",
  ],
  ["content-length", "23"],
]);

interface Vector {
  readonly section: string;
  readonly label: string;
  readonly alg: SignatureAlgorithm;
  readonly keyText: string;
  readonly signatureInput: string;
  readonly signature: string;
  readonly base: string;
  readonly componentValue: (name: string) => ReturnType<typeof requestComponent>;
}

const fromRequest = (name: string) => requestComponent(TEST_REQUEST, name);

const VECTORS: readonly Vector[] = [
  {
    section: "B.2.4 (ecdsa-p256-sha256, a response)",
    label: "sig-b24",
    alg: "ecdsa-p256-sha256",
    keyText: TEST_KEY_ECC_P256_PUBLIC,
    signatureInput:
      'sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"',
    signature:
      "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:",
    base: [
      '"@status": 200',
      '"content-type": application/json',
      '"content-digest": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:',
      '"content-length": 23',
      '"@signature-params": ("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"',
    ].join("\n"),
    componentValue: (name) => ok(TEST_RESPONSE.get(name) ?? ""),
  },
  {
    section: "B.2.5 (hmac-sha256)",
    label: "sig-b25",
    alg: "hmac-sha256",
    keyText: TEST_SHARED_SECRET,
    signatureInput:
      'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    signature: "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
    base: [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@authority": example.com',
      '"content-type": application/json',
      '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    ].join("\n"),
    componentValue: fromRequest,
  },
  {
    section: "B.2.6 (ed25519)",
    label: "sig-b26",
    alg: "ed25519",
    keyText: TEST_KEY_ED25519_PUBLIC,
    signatureInput:
      'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    signature:
      "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
    base: [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@method": POST',
      '"@path": /foo',
      '"@authority": example.com',
      '"content-type": application/json',
      '"content-length": 18',
      '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    ].join("\n"),
    componentValue: fromRequest,
  },
];

function keyOf(vector: Vector) {
  const key = parseKey(vector.alg, vector.keyText);
  if (!key.ok) throw new Error(`${vector.section}: ${key.error}`);
  return { keyid: "rfc", alg: vector.alg, key: key.value };
}

function fieldsOf(vector: Vector) {
  const fields = readSignatureFields(vector.signatureInput, vector.signature, vector.label);
  if (fields === undefined || !fields.ok) throw new Error(`${vector.section}: fields not read`);
  return fields.value;
}

describe.each(VECTORS)("RFC 9421 $section", (vector) => {
  it("rebuilds the RFC's signature base from the message and the Signature-Input", () => {
    const fields = fieldsOf(vector);
    const base = signatureBase(fields.covered, fields.signatureParams, vector.componentValue);
    expect(base).toEqual(ok(vector.base));
  });

  it("verifies the RFC's signature with the RFC's key", () => {
    const fields = fieldsOf(vector);
    expect(verifySignature(keyOf(vector), Buffer.from(vector.base), fields.signature)).toBe(true);
  });

  it("rejects the RFC's signature over a base with one character changed", () => {
    const fields = fieldsOf(vector);
    const changed = Buffer.from(vector.base.replace("application/json", "application/jsoN"));
    expect(verifySignature(keyOf(vector), changed, fields.signature)).toBe(false);
  });
});

describe("the @path and @query of RFC 9421 §2.2.6 and §2.2.7", () => {
  it("splits the request target at the first '?', keeping both parts as sent", () => {
    expect(fromRequest("@path")).toEqual(ok("/foo"));
    expect(fromRequest("@query")).toEqual(ok("?param=Value&Pet=dog"));
    expect(fromRequest("@target-uri")).toEqual(ok("https://example.com/foo?param=Value&Pet=dog"));
  });

  it("gives a request without a query the bare '?' and an empty path '/'", () => {
    const bare = { ...TEST_REQUEST, rawPath: "" };
    expect(requestComponent(bare, "@query")).toEqual(ok("?"));
    expect(requestComponent(bare, "@path")).toEqual(ok("/"));
  });
});
