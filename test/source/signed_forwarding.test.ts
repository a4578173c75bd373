import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.js";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import type { CheckInput } from "../../src/foundation/check_input.js";
import { ConfigError } from "../../src/foundation/config_error.js";
import { buildForwarding } from "../../src/source/provenance/forwarding.js";
import { trustedHopsSchema } from "../../src/source/provenance/source_config.js";
import { checkInput } from "../support/check_input.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { type RunningGatekeeper, startGatekeeper } from "../support/gatekeeper.js";
import { xfccElement } from "./encodings.js";
import { type SignedRequest, signRequest } from "./message_signature/signer.js";

/**
 * Signed forwarding as configured: `trustedHops` as a list, keys read from files next to the config,
 * and the signature checked by the certificate sources before the header is decoded, on both edges.
 */

/** One fixed instant, inside the demo certificates' validity (they are issued when the test starts). */
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const NOW_S = NOW.getTime() / 1000;
const SECRET = randomBytes(32);
const NGINX = "10.0.3.15";
const MESH = "10.0.9.1";

let pki: DemoPki;
let dir: string;
let configFile: string;
const running: RunningGatekeeper[] = [];

beforeAll(async () => {
  pki = await createDemoPki();
  dir = mkdtempSync(join(tmpdir(), "signed-forwarding-"));
  configFile = join(dir, "gatekeeper.yaml");
  writeFileSync(join(dir, "nginx-1.key"), `${SECRET.toString("base64")}\n`);
});

afterAll(async () => {
  for (const gatekeeper of running) await gatekeeper.close();
  rmSync(dir, { recursive: true, force: true });
});

const SIGNED_HOPS_YAML = [
  "trustedHops:",
  `  - cidrs: [${NGINX}/32]`,
  "    signature:",
  "      keys: [{ keyid: nginx-1, alg: hmac-sha256, file: nginx-1.key }]",
  `  - cidrs: [10.0.0.0/8]`,
  "",
].join("\n");

function config(yaml: string) {
  return parseConfig(
    `trust: { anchors: roots.pem }\npolicy: policy.yaml\nsources: [header]\n${yaml}`,
    configFile,
  );
}

function forwardingFrom(yaml: string) {
  const parsed = config(yaml);
  return buildForwarding(
    {
      sources: parsed.sources,
      trustedHops: parsed.trustedHops,
      sni: parsed.sni,
      maxCertificateBytes: 16_384,
      maxEntries: 10,
      httpEnabled: true,
    },
    configFile,
  );
}

function request(from: string, signed: boolean, changes: Partial<SignedRequest> = {}): CheckInput {
  const original: SignedRequest = {
    method: "GET",
    target: "/v1/accounts",
    authority: "api.bank.example",
    headers: { "x-ssl-client-cert": encodeURIComponent(pki.tpps["tpp-ai"].pem) },
  };
  const signature = signed
    ? signRequest(original, {
        covered: ["@method", "@authority", "@path", "x-ssl-client-cert"],
        keyid: "nginx-1",
        key: { alg: "hmac-sha256", secret: SECRET },
        created: NOW_S,
      })
    : {};
  const received = { ...original, ...changes };
  return checkInput({
    method: received.method,
    rawPath: received.target,
    host: received.authority,
    headers: { ...received.headers, ...signature },
    address: from,
  });
}

describe("the list form of trustedHops", () => {
  it("reads each hop with its signature rule, defaulting to required with a 10 s window", () => {
    const hops = config(SIGNED_HOPS_YAML).trustedHops;
    if (!Array.isArray(hops)) throw new Error("a list stays a list");
    expect(hops[0]?.signature).toEqual({
      mode: "required",
      label: "proxy",
      keys: [{ keyid: "nginx-1", alg: "hmac-sha256", file: "nginx-1.key" }],
      maxAgeSeconds: 10,
      clockSkewSeconds: 2,
      headers: { signature: "signature", input: "signature-input" },
    });
    expect(hops[1]?.signature).toBeUndefined();
  });

  it.each([
    [
      "a required signature without keys",
      "trustedHops: [{ cidrs: [10.0.0.1], signature: {} }]",
      "trustedHops.0.signature.keys",
    ],
    [
      "a keyid listed twice",
      "trustedHops: [{ cidrs: [10.0.0.1], signature: { keys: [{ keyid: a, alg: ed25519, file: a.pem }, { keyid: a, alg: ed25519, file: b.pem }] } }]",
      "trustedHops.0.signature.keys.1.keyid",
    ],
    [
      "an algorithm it does not verify",
      "trustedHops: [{ cidrs: [10.0.0.1], signature: { keys: [{ keyid: a, alg: rsa-v1_5-sha256, file: a.pem }] } }]",
      "trustedHops.0.signature.keys.0.alg",
    ],
    [
      "a misspelt key",
      "trustedHops: [{ cidrs: [10.0.0.1], signature: { mod: off } }]",
      "trustedHops.0.signature.mod",
    ],
    [
      "a label that is no dictionary key",
      "trustedHops: { cidrs: [10.0.0.1], signature: { mode: off, label: Proxy } }",
      "trustedHops.signature.label",
    ],
  ])("refuses %s, naming the key", (_case, yaml, key) => {
    let error: unknown;
    try {
      config(`${yaml}\n`);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
  });

  it("refuses at load time a key file it cannot use, naming the hop and the key", () => {
    writeFileSync(join(dir, "short.key"), randomBytes(8).toString("base64"));
    const yaml = SIGNED_HOPS_YAML.replace("nginx-1.key", "short.key");
    expect(() => forwardingFrom(yaml)).toThrow(/trustedHops\.0\.signature\.keys\.0\.file: .*8 bytes/);
  });
});

describe("the certificate sources with a hop that must sign", () => {
  it("read a certificate header that the hop signed, with the key file found next to the config", () => {
    const result = forwardingFrom(SIGNED_HOPS_YAML).sources.read(request(NGINX, true), NOW);
    expect(result?.ok && result.value.via).toBe("header");
  });

  it("deny the same header unsigned, before decoding it", () => {
    const result = forwardingFrom(SIGNED_HOPS_YAML).sources.read(request(NGINX, false), NOW);
    expect(result?.ok === false && result.error.reason).toBe("FORWARDED_SIGNATURE_MISSING");
  });

  it("deny a header signed by nginx for another path", () => {
    const result = forwardingFrom(SIGNED_HOPS_YAML).sources.read(
      request(NGINX, true, { target: "/v1/payments/sepa-credit-transfers" }),
      NOW,
    );
    expect(result?.ok === false && result.error.reason).toBe("FORWARDED_SIGNATURE_INVALID");
  });

  it("leave a later hop that does not sign unaffected: the first matching hop rules", () => {
    const result = forwardingFrom(SIGNED_HOPS_YAML).sources.read(request(MESH, false), NOW);
    expect(result?.ok && result.value.via).toBe("header");
  });

  it("still deny an untrusted peer with CERT_FORWARDED_UNTRUSTED_HOP, signature or not", () => {
    const result = forwardingFrom(SIGNED_HOPS_YAML).sources.read(request("198.51.100.7", true), NOW);
    expect(result?.ok === false && result.error.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });

  it("do not ask for a signature when no certificate header is forwarded", () => {
    const bare = request(NGINX, false);
    const input = { ...bare, headers: new Map<string, string>() };
    expect(forwardingFrom(SIGNED_HOPS_YAML).sources.read(input, NOW)).toBeUndefined();
  });
});

describe("the gRPC edge behind a signing proxy", () => {
  const POLICY = "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n";

  async function start(): Promise<RunningGatekeeper> {
    const gatekeeper = await startGatekeeper({
      anchors: [pki.root.cert],
      intermediates: [pki.intermediate.cert],
      policyYaml: POLICY,
      now: () => NOW,
      forwarding: {
        sources: ["xfcc"],
        trustedHops: [
          {
            cidrs: ["127.0.0.1"],
            signature: { keys: [{ keyid: "lb-1", alg: "hmac-sha256", file: join(dir, "nginx-1.key") }] },
          },
        ],
      },
    });
    running.push(gatekeeper);
    return gatekeeper;
  }

  /** What Envoy sends when the proxy in front of it forwarded XFCC and signed it. */
  function envoyCheck(path: string, signedPath: string) {
    const xfcc = xfccElement({ cert: pki.tpps["tpp-ai"].pem });
    const signature = signRequest(
      {
        method: "GET",
        target: signedPath,
        authority: "api.bank.example",
        headers: { "x-forwarded-client-cert": xfcc },
      },
      {
        covered: ["@method", "@authority", "@path", "@query", "x-forwarded-client-cert"],
        keyid: "lb-1",
        key: { alg: "hmac-sha256", secret: SECRET },
        created: NOW_S,
      },
    );
    return checkRequest({ path, headers: { "x-forwarded-client-cert": xfcc, ...signature } });
  }

  it("allows a request whose XFCC the proxy signed, from Envoy's request attributes", async () => {
    const gatekeeper = await start();
    const response = await gatekeeper.check(envoyCheck("/v1/accounts/a1", "/v1/accounts/a1"));
    expect(headerValue(response, "x-authz-reason")).toBeUndefined();
    expect(response.status?.code).toBe(0);
    expect(headerValue(response, "x-tpp-roles")).toBe("PSP_AI");
  });

  it("denies with 401, the reason and a Berlin Group body when the path differs from the signed one", async () => {
    const gatekeeper = await start();
    const response = await gatekeeper.check(envoyCheck("/v1/accounts/a2", "/v1/accounts/a1"));
    expect(response.denied_response?.status?.code).toBe(401);
    expect(headerValue(response, "x-authz-reason")).toBe("FORWARDED_SIGNATURE_INVALID");
    expect(JSON.parse(String(response.denied_response?.body)).tppMessages[0].code).toBe(
      "CERTIFICATE_INVALID",
    );
  });
});

// Keep the schema import used: the list form parses on its own too.
describe("trustedHopsSchema", () => {
  it("parses the list form outside a config file", () => {
    expect(trustedHopsSchema.parse([{ cidrs: ["10.0.0.1"] }])).toHaveLength(1);
  });
});
