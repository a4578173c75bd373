import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { checkRequest, headerValue, type RequestSpec } from "../support/check_request.js";
import { type GatekeeperOptions, type RunningGatekeeper, startGatekeeper } from "../support/gatekeeper.js";
import { byteSequence, xfccElement } from "./encodings.js";

/**
 * Forwarded certificates and SNI through the real gRPC edge: a CheckRequest as Envoy sends it behind a
 * proxy, and the answer Envoy gets back.
 */

const POLICY = "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n";
const GATEWAY_V4 = "10.20.0.7";
const GATEWAY_V6 = "2001:db8:7::15";
const GATEWAY_PRINCIPAL = "spiffe://cluster.local/ns/edge/sa/gateway";
const FORWARDING = {
  sources: ["peer", "xfcc", "client-cert", "header"],
  trustedHops: { cidrs: ["10.20.0.0/16", "2001:db8:7::/48"], principals: [GATEWAY_PRINCIPAL] },
  sni: { required: true, hosts: ["api.bank.example"] },
};

let pki: DemoPki;
const running: RunningGatekeeper[] = [];

beforeAll(async () => {
  pki = await createDemoPki();
});

afterAll(async () => {
  for (const gk of running) await gk.close();
});

/** The issuing CA is deliberately not configured: only a forwarded chain can complete the path. */
async function gatekeeper(overrides: Partial<GatekeeperOptions> = {}): Promise<RunningGatekeeper> {
  const gk = await startGatekeeper({
    anchors: [pki.root.cert],
    policyYaml: POLICY,
    forwarding: FORWARDING,
    ...overrides,
  });
  running.push(gk);
  return gk;
}

async function decide(gk: RunningGatekeeper, spec: Partial<RequestSpec>) {
  const response = await gk.check(
    checkRequest({ path: "/v1/accounts", sourceAddress: GATEWAY_V4, sni: "api.bank.example", ...spec }),
  );
  return {
    response,
    allowed: response.status.code === 0,
    http: response.denied_response?.status.code ?? 200,
    reason: headerValue(response, "x-authz-reason"),
    code:
      response.denied_response === undefined
        ? undefined
        : JSON.parse(response.denied_response.body).tppMessages[0].code,
  };
}

const aiChain = () => `${pki.tpps["tpp-ai"].pem}${pki.intermediate.pem}`;
const xfccWithChain = () => xfccElement({ cert: pki.tpps["tpp-ai"].pem, chain: aiChain() });
const sha256 = (der: ArrayBuffer) => createHash("sha256").update(new Uint8Array(der)).digest("hex");

describe("a certificate forwarded by a trusted hop", () => {
  it("allows a QWAC from XFCC whose Chain completes the path, identified by the leaf's SHA-256", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, { headers: { "x-forwarded-client-cert": xfccWithChain() } });
    expect(result.allowed).toBe(true);
    expect(headerValue(result.response, "x-tpp-organization-id")).toBe("PSDFR-ACPR-10001");
    expect(headerValue(result.response, "x-tpp-cert-sha256")).toBe(sha256(pki.tpps["tpp-ai"].cert.rawData));
  });

  it("does not reuse a verdict made with a chain for the same leaf sent without one", async () => {
    const gk = await gatekeeper();
    const chained = await decide(gk, { headers: { "x-forwarded-client-cert": xfccWithChain() } });
    const bare = await decide(gk, {
      headers: { "x-forwarded-client-cert": xfccElement({ cert: pki.tpps["tpp-ai"].pem }) },
    });
    expect(chained.allowed).toBe(true);
    expect(bare.reason).toBe("CERT_UNTRUSTED");
  });

  it("trusts a hop by IPv6 block", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, {
      sourceAddress: GATEWAY_V6,
      headers: { "x-forwarded-client-cert": xfccWithChain() },
    });
    expect(result.allowed).toBe(true);
  });

  it("trusts a hop by its mTLS principal, wherever it connects from", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, {
      sourceAddress: "203.0.113.50",
      principal: GATEWAY_PRINCIPAL,
      headers: { "x-forwarded-client-cert": xfccWithChain() },
    });
    expect(result.allowed).toBe(true);
  });

  it("reads the gateway's element behind an Istio sidecar that appended one about the gateway", async () => {
    const gk = await gatekeeper();
    const gatewayElement = xfccElement({
      by: GATEWAY_PRINCIPAL,
      cert: pki.tpps["tpp-ai"].pem,
      chain: aiChain(),
    });
    const sidecar = xfccElement({
      by: "spiffe://cluster.local/ns/bank/sa/accounts-api",
      // The SHA-256 of the gateway's own certificate, which the service never sees.
      hash: "0f".repeat(32),
      subject: "",
      uri: GATEWAY_PRINCIPAL,
    });
    const result = await decide(gk, {
      sourceAddress: "10.244.1.9",
      principal: GATEWAY_PRINCIPAL,
      headers: { "x-forwarded-client-cert": `${gatewayElement},${sidecar}` },
    });
    expect(result.allowed).toBe(true);
  });

  it("does not skip the hop's own element for a TPP whose certificate names the hop (client-typed element before it)", async () => {
    const gk = await gatekeeper();
    // The gateway wrote the last element (By = gateway) about a TPP whose certificate claims the gateway's
    // URI; the element before it was typed by the client and carries another TPP's certificate.
    const typedByClient = xfccElement({ cert: pki.tpps["tpp-all"].pem, chain: aiChain() });
    const byGateway = xfccElement({
      by: GATEWAY_PRINCIPAL,
      cert: pki.tpps["tpp-pi"].pem,
      chain: aiChain(),
      uri: GATEWAY_PRINCIPAL,
    });
    const result = await decide(gk, {
      sourceAddress: "10.244.1.9",
      principal: GATEWAY_PRINCIPAL,
      headers: { "x-forwarded-client-cert": `${typedByClient},${byGateway}` },
    });
    expect(headerValue(result.response, "x-tpp-organization-id")).not.toBe("PSDBE-NBB-0123.456.789");
    expect(result.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });

  it("allows a QWAC from RFC 9440 Client-Cert and Client-Cert-Chain", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, {
      headers: {
        "client-cert": byteSequence(new Uint8Array(pki.tpps["tpp-ai"].cert.rawData)),
        "client-cert-chain": byteSequence(new Uint8Array(pki.intermediate.cert.rawData)),
      },
    });
    expect(result.allowed).toBe(true);
  });

  it("allows a QWAC from a plain header of URL-encoded PEM", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, { headers: { "x-ssl-client-cert": encodeURIComponent(aiChain()) } });
    expect(result.allowed).toBe(true);
  });
});

describe("a certificate header from anyone else", () => {
  it("is denied with 401 CERT_FORWARDED_UNTRUSTED_HOP and a Berlin Group body", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, {
      sourceAddress: "198.51.100.23",
      headers: { "x-forwarded-client-cert": xfccWithChain() },
    });
    expect(result.http).toBe(401);
    expect(result.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
    expect(result.code).toBe("CERTIFICATE_INVALID");
  });

  it("is denied even with a principal that is not listed", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, {
      sourceAddress: "198.51.100.23",
      principal: "spiffe://cluster.local/ns/edge/sa/other",
      headers: { "client-cert": byteSequence(new Uint8Array(pki.tpps["tpp-ai"].cert.rawData)) },
    });
    expect(result.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });
});

describe("forwarded headers never reach the upstream", () => {
  it("lists every forwarded-certificate and SNI header in headers_to_remove, sent or not", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, {
      headers: { "x-forwarded-client-cert": xfccWithChain(), "x-tpp-roles": "PSP_PI" },
    });
    const removed = result.response.ok_response?.headers_to_remove ?? [];
    for (const name of [
      "x-forwarded-client-cert",
      "client-cert",
      "client-cert-chain",
      "x-ssl-client-cert",
      "x-forwarded-sni",
    ]) {
      expect(removed).toContain(name);
    }
    expect(headerValue(result.response, "x-tpp-roles")).toBe("PSP_AI");
  });

  it("ignores, and removes, a client-made XFCC when only Envoy's peer certificate is configured", async () => {
    const gk = await gatekeeper({
      forwarding: { trustedHops: FORWARDING.trustedHops },
      intermediates: [pki.intermediate.cert],
    });
    const result = await decide(gk, {
      certPem: pki.tpps["tpp-ai"].pem,
      headers: { "x-forwarded-client-cert": xfccElement({ cert: pki.tpps["tpp-all"].pem }) },
    });
    expect(result.allowed).toBe(true);
    expect(headerValue(result.response, "x-tpp-organization-id")).toBe("PSDFR-ACPR-10001");
    expect(result.response.ok_response?.headers_to_remove).toContain("x-forwarded-client-cert");
  });
});

describe("SNI through the gRPC edge", () => {
  it("denies a connection that named another host with 400 SNI_MISMATCH", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, {
      sni: "other.example",
      headers: { "x-forwarded-client-cert": xfccWithChain() },
    });
    expect(result.http).toBe(400);
    expect(result.reason).toBe("SNI_MISMATCH");
    expect(result.code).toBe("SERVICE_INVALID");
  });

  it("denies a connection without SNI with 400 SNI_MISSING when SNI is required", async () => {
    const gk = await gatekeeper();
    const response = await gk.check(
      checkRequest({
        path: "/v1/accounts",
        sourceAddress: GATEWAY_V4,
        headers: { "x-forwarded-client-cert": xfccWithChain() },
      }),
    );
    expect(response.denied_response?.status.code).toBe(400);
    expect(headerValue(response, "x-authz-reason")).toBe("SNI_MISSING");
  });

  it("takes the SNI the trusted hop forwards when TLS ended there", async () => {
    const gk = await gatekeeper();
    const result = await decide(gk, {
      sni: "lb-to-envoy.internal",
      headers: { "x-forwarded-client-cert": xfccWithChain(), "x-forwarded-sni": "api.bank.example" },
    });
    expect(result.allowed).toBe(true);
  });
});
