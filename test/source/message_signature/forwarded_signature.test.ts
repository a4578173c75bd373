import { createSecretKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { CheckInput } from "../../../src/foundation/check_input.js";
import type { VerificationKey } from "../../../src/source/provenance/message_signature/algorithms.js";
import {
  ForwardedSignatureCheck,
  type SignaturePolicy,
} from "../../../src/source/provenance/message_signature/forwarded_signature.js";
import { KeyRing } from "../../../src/source/provenance/message_signature/key_ring.js";
import { checkInput } from "../../support/check_input.js";
import { type SignedRequest, type SigningKey, type SignOptions, signRequest } from "./signer.js";

/** The verifier on its own: one hop's policy, a request as the gatekeeper sees it, a clock. */

const NOW = new Date("2026-01-15T12:00:00Z");
const NOW_S = NOW.getTime() / 1000;
const CERT = "-----BEGIN%20CERTIFICATE-----%0AMIIB...%0A-----END%20CERTIFICATE-----%0A";
const CERT_HEADERS = ["x-ssl-client-cert"];
const COVERED = ["@method", "@authority", "@path", "@query", "x-ssl-client-cert"];

const hmac = (secret: Buffer): SigningKey => ({ alg: "hmac-sha256", secret });
const CURRENT = randomBytes(32);
const PREVIOUS = randomBytes(32);

function verificationKey(keyid: string, key: SigningKey): VerificationKey {
  if (key.alg === "hmac-sha256") return { keyid, alg: key.alg, key: createSecretKey(key.secret) };
  throw new Error("use asymmetricKey()");
}

function policy(overrides: Partial<SignaturePolicy> = {}): SignaturePolicy {
  return {
    mode: "required",
    label: "proxy",
    keys: new KeyRing([verificationKey("nginx-2", hmac(CURRENT))]),
    maxAgeSeconds: 10,
    clockSkewSeconds: 2,
    signatureHeader: "signature",
    inputHeader: "signature-input",
    ...overrides,
  };
}

const REQUEST: SignedRequest = {
  method: "GET",
  target: "/v1/accounts?withBalance=true",
  authority: "api.bank.example",
  headers: { "x-ssl-client-cert": CERT, "x-forwarded-sni": "api.bank.example" },
};

function signed(
  options: Partial<SignOptions> = {},
  request: SignedRequest = REQUEST,
): Record<string, string> {
  return signRequest(request, {
    covered: COVERED,
    keyid: "nginx-2",
    key: hmac(CURRENT),
    created: NOW_S,
    ...options,
  });
}

/** The request as it reaches the gatekeeper, with `changes` applied after signing. */
function received(signature: Record<string, string>, changes: Partial<SignedRequest> = {}): CheckInput {
  const request = { ...REQUEST, ...changes };
  return checkInput({
    method: request.method,
    rawPath: request.target,
    host: request.authority,
    headers: { ...request.headers, ...signature },
  });
}

function check(input: CheckInput, overrides: Partial<SignaturePolicy> = {}, now = NOW) {
  return new ForwardedSignatureCheck(policy(overrides)).check(input, CERT_HEADERS, now);
}

const reasonOf = (input: CheckInput, overrides: Partial<SignaturePolicy> = {}, now = NOW) =>
  check(input, overrides, now)?.reason;

describe("a required signature", () => {
  it("accepts a request signed over the request line and the certificate header", () => {
    expect(check(received(signed()))).toBeUndefined();
  });

  it("denies a forwarded certificate without a signature with FORWARDED_SIGNATURE_MISSING", () => {
    expect(reasonOf(received({}))).toBe("FORWARDED_SIGNATURE_MISSING");
  });

  it("treats a signature under another label (a client's own) as missing", () => {
    expect(reasonOf(received(signed({ label: "tpp" })))).toBe("FORWARDED_SIGNATURE_MISSING");
  });

  it("reads the label from a Signature-Input with several members", () => {
    const ours = signed();
    const theirs = signed({ label: "tpp", key: hmac(randomBytes(32)) });
    const both = {
      "signature-input": `${theirs["signature-input"]}, ${ours["signature-input"]}`,
      signature: `${theirs.signature}, ${ours.signature}`,
    };
    expect(check(received(both))).toBeUndefined();
  });
});

describe("an optional signature", () => {
  it("accepts a forwarded certificate without one", () => {
    expect(check(received({}), { mode: "optional" })).toBeUndefined();
  });

  it("verifies one that is present, and denies it when it does not match", () => {
    expect(check(received(signed()), { mode: "optional" })).toBeUndefined();
    const forged = signed({ key: hmac(randomBytes(32)) });
    expect(reasonOf(received(forged), { mode: "optional" })).toBe("FORWARDED_SIGNATURE_INVALID");
  });
});

describe("a Signature header that is not the hop's", () => {
  // A TPP's own Berlin Group request signature uses the same header name and is no structured field.
  const berlinGroup = {
    signature:
      'keyId="SN=9FA1,CA=CN=QTSP",algorithm="rsa-sha256",headers="digest x-request-id",signature="Zm9v"',
  };

  it("is left alone: without our label in Signature-Input, no hop signature was sent", () => {
    expect(check(received(berlinGroup), { mode: "optional" })).toBeUndefined();
  });

  it("does not count as the hop's signature where one is required", () => {
    expect(reasonOf(received(berlinGroup))).toBe("FORWARDED_SIGNATURE_MISSING");
    expect(reasonOf(received({ signature: signed().signature! }))).toBe("FORWARDED_SIGNATURE_MISSING");
  });
});

describe("a signature that cannot be read", () => {
  const good = signed();
  it.each([
    ["a Signature-Input that is not a dictionary", { ...good, "signature-input": "proxy=(" }],
    ["a Signature that is not a dictionary", { ...good, signature: "proxy=:not base64" }],
    ["a Signature-Input member that is not an inner list", { ...good, "signature-input": 'proxy="x"' }],
    ["a Signature that is not a byte sequence", { ...good, signature: 'proxy="abc"' }],
    ["a Signature-Input without its Signature", { "signature-input": good["signature-input"]! }],
    [
      "a signature without created",
      { ...good, "signature-input": good["signature-input"]!.replace(/;created=\d+/, "") },
    ],
    [
      "a signature without keyid",
      { ...good, "signature-input": good["signature-input"]!.replace(/;keyid="[^"]*"/, "") },
    ],
    [
      "a component with parameters (not supported)",
      {
        ...good,
        "signature-input": good["signature-input"]!.replace('"x-ssl-client-cert"', '"x-ssl-client-cert";sf'),
      },
    ],
    [
      "a component covered twice",
      { ...good, "signature-input": good["signature-input"]!.replace('"@query"', '"@path"') },
    ],
    [
      "an upper-case field name",
      { ...good, "signature-input": good["signature-input"]!.replace('"x-ssl', '"X-ssl') },
    ],
    [
      "a Signature-Input over 8 KiB",
      { ...good, "signature-input": `${good["signature-input"]};tag="${"a".repeat(9000)}"` },
    ],
  ])("denies %s with FORWARDED_SIGNATURE_MALFORMED", (_case, fields) => {
    expect(reasonOf(received(fields))).toBe("FORWARDED_SIGNATURE_MALFORMED");
  });

  it("denies a derived component it does not implement rather than guess its value", () => {
    const fields = signed();
    fields["signature-input"] = fields["signature-input"]!.replace('"@query"', '"@status"');
    expect(reasonOf(received(fields))).toBe("FORWARDED_SIGNATURE_MALFORMED");
  });
});

describe("what the signature must cover", () => {
  it.each([
    ["the certificate header", ["@method", "@authority", "@path"], "x-ssl-client-cert"],
    ["the method", ["@authority", "@path", "x-ssl-client-cert"], "@method"],
    ["the authority", ["@method", "@path", "x-ssl-client-cert"], "@authority"],
    ["the path", ["@method", "@authority", "x-ssl-client-cert"], "@path"],
  ])(
    "denies a signature that does not cover %s with FORWARDED_SIGNATURE_INVALID",
    (_case, covered, named) => {
      const denial = check(received(signed({ covered })));
      expect(denial?.reason).toBe("FORWARDED_SIGNATURE_INVALID");
      expect(denial?.detail).toContain(named);
    },
  );

  it("accepts @target-uri or @request-target in place of @path", () => {
    for (const target of ["@target-uri", "@request-target"]) {
      const covered = ["@method", "@authority", target, "x-ssl-client-cert"];
      expect(check(received(signed({ covered }))), target).toBeUndefined();
    }
  });

  it("requires every forwarded certificate header present, the chain too", () => {
    const request = { ...REQUEST, headers: { "client-cert": ":AAAA:", "client-cert-chain": ":BBBB:" } };
    const signature = signed({ covered: ["@method", "@authority", "@path", "client-cert"] }, request);
    const input = received(signature, request);
    const verifier = new ForwardedSignatureCheck(policy());
    expect(verifier.check(input, ["client-cert", "client-cert-chain"], NOW)?.detail).toContain(
      "client-cert-chain",
    );
  });
});

describe("a request changed after signing", () => {
  it("denies a changed path with FORWARDED_SIGNATURE_INVALID", () => {
    expect(reasonOf(received(signed(), { target: "/v1/payments?withBalance=true" }))).toBe(
      "FORWARDED_SIGNATURE_INVALID",
    );
  });

  it("denies a changed query, method or authority", () => {
    expect(reasonOf(received(signed(), { target: "/v1/accounts?withBalance=false" }))).toBe(
      "FORWARDED_SIGNATURE_INVALID",
    );
    expect(reasonOf(received(signed(), { method: "POST" }))).toBe("FORWARDED_SIGNATURE_INVALID");
    expect(reasonOf(received(signed(), { authority: "other.bank.example" }))).toBe(
      "FORWARDED_SIGNATURE_INVALID",
    );
  });

  it("denies a certificate header replaced after signing", () => {
    const headers = { ...REQUEST.headers, "x-ssl-client-cert": CERT.replace("MIIB", "MIIC") };
    expect(reasonOf(received(signed(), { headers }))).toBe("FORWARDED_SIGNATURE_INVALID");
  });

  it("denies a certificate header removed after signing", () => {
    const headers = { "x-forwarded-sni": "api.bank.example" };
    expect(reasonOf(received(signed(), { headers }))).toBe("FORWARDED_SIGNATURE_INVALID");
  });

  it("denies a value outside printable ASCII rather than encode it: U+0141 must not sign like 'A'", () => {
    const signedOver = { ...REQUEST, headers: { "x-ssl-client-cert": `${CERT}A` } };
    const fields = signed({}, signedOver);
    const denial = check(received(fields, { headers: { "x-ssl-client-cert": `${CERT}\u0141` } }));
    expect(denial?.reason).toBe("FORWARDED_SIGNATURE_INVALID");
    expect(denial?.detail).toContain("not printable ASCII");
  });

  it("compares the authority case-insensitively, as RFC 9421 §2.2.3 normalises it", () => {
    expect(check(received(signed(), { authority: "API.Bank.Example" }))).toBeUndefined();
  });
});

describe("keys", () => {
  it("denies a keyid the hop does not list with FORWARDED_SIGNATURE_UNKNOWN_KEY", () => {
    expect(reasonOf(received(signed({ keyid: "nginx-9" })))).toBe("FORWARDED_SIGNATURE_UNKNOWN_KEY");
  });

  it("denies a signature made with another secret under a listed keyid", () => {
    expect(reasonOf(received(signed({ key: hmac(PREVIOUS) })))).toBe("FORWARDED_SIGNATURE_INVALID");
  });

  it("denies an alg parameter that names another algorithm than the key's", () => {
    const fields = signed({ withAlg: true });
    fields["signature-input"] = fields["signature-input"]!.replace('alg="hmac-sha256"', 'alg="ed25519"');
    expect(reasonOf(received(fields))).toBe("FORWARDED_SIGNATURE_INVALID");
  });

  it("accepts every listed key during a rotation, and only those", () => {
    const both = new KeyRing([
      verificationKey("nginx-1", hmac(PREVIOUS)),
      verificationKey("nginx-2", hmac(CURRENT)),
    ]);
    const old = received(signed({ keyid: "nginx-1", key: hmac(PREVIOUS) }));
    const current = received(signed({ keyid: "nginx-2", key: hmac(CURRENT) }));
    expect(check(old, { keys: both })).toBeUndefined();
    expect(check(current, { keys: both })).toBeUndefined();
    const afterRotation = new KeyRing([verificationKey("nginx-2", hmac(CURRENT))]);
    expect(reasonOf(old, { keys: afterRotation })).toBe("FORWARDED_SIGNATURE_UNKNOWN_KEY");
    expect(check(current, { keys: afterRotation })).toBeUndefined();
  });

  it.each(["ecdsa-p256-sha256", "ed25519"] as const)(
    "verifies %s signatures with the hop's public key",
    (alg) => {
      const pair =
        alg === "ed25519"
          ? generateKeyPairSync("ed25519")
          : generateKeyPairSync("ec", { namedCurve: "P-256" });
      const keys = new KeyRing([{ keyid: "lb-1", alg, key: pair.publicKey }]);
      const fields = signed({ keyid: "lb-1", key: { alg, privateKey: pair.privateKey }, withAlg: true });
      expect(check(received(fields), { keys })).toBeUndefined();
      expect(reasonOf(received(fields, { target: "/v1/payments" }), { keys })).toBe(
        "FORWARDED_SIGNATURE_INVALID",
      );
    },
  );
});

describe("the time window", () => {
  const at = (seconds: number) => new Date((NOW_S + seconds) * 1000);

  it("accepts a signature up to maxAgeSeconds + clockSkewSeconds old", () => {
    expect(check(received(signed()), {}, at(12))).toBeUndefined();
  });

  it("denies a signature older than that with FORWARDED_SIGNATURE_EXPIRED", () => {
    const denial = check(received(signed()), {}, at(13));
    expect(denial?.reason).toBe("FORWARDED_SIGNATURE_EXPIRED");
    expect(denial?.detail).toContain("13 s ago");
  });

  it("accepts a signature dated in the future within the clock skew, and denies one beyond it", () => {
    expect(check(received(signed({ created: NOW_S + 2 })))).toBeUndefined();
    expect(reasonOf(received(signed({ created: NOW_S + 3 })))).toBe("FORWARDED_SIGNATURE_EXPIRED");
  });

  it("denies a signature past its own expires", () => {
    expect(reasonOf(received(signed({ expires: NOW_S + 1 })), {}, at(4))).toBe("FORWARDED_SIGNATURE_EXPIRED");
    expect(check(received(signed({ expires: NOW_S + 1 })), {}, at(3))).toBeUndefined();
  });

  it("calls an old forgery INVALID, not EXPIRED: the dates of an unverified signature mean nothing", () => {
    const forged = signed({ key: hmac(randomBytes(32)), created: NOW_S - 3600 });
    expect(reasonOf(received(forged))).toBe("FORWARDED_SIGNATURE_INVALID");
  });
});

describe("replays inside the window", () => {
  it("denies a second use of a nonce with FORWARDED_SIGNATURE_REPLAYED", () => {
    const verifier = new ForwardedSignatureCheck(policy());
    const input = received(signed({ nonce: "4f1c0a" }));
    expect(verifier.check(input, CERT_HEADERS, NOW)).toBeUndefined();
    expect(verifier.check(input, CERT_HEADERS, NOW)?.reason).toBe("FORWARDED_SIGNATURE_REPLAYED");
  });

  it("accepts different nonces, and a forged signature does not burn a nonce", () => {
    const verifier = new ForwardedSignatureCheck(policy());
    const forged = received(signed({ nonce: "n-1", key: hmac(randomBytes(32)) }));
    expect(verifier.check(forged, CERT_HEADERS, NOW)?.reason).toBe("FORWARDED_SIGNATURE_INVALID");
    expect(verifier.check(received(signed({ nonce: "n-1" })), CERT_HEADERS, NOW)).toBeUndefined();
    expect(verifier.check(received(signed({ nonce: "n-2" })), CERT_HEADERS, NOW)).toBeUndefined();
  });
});
