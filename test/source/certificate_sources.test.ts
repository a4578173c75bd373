import { beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import type { CheckInput } from "../../src/foundation/check_input.js";
import { checkInput } from "../support/check_input.js";
import { expectError } from "../support/expect_ok.js";
import { type ForwardingOptions, forwardingOf } from "../support/gatekeeper.js";
import { byteSequence, envoyEncode, xfccElement } from "./encodings.js";

let pki: DemoPki;
beforeAll(async () => {
  pki = await createDemoPki();
});

const GATEWAY = { cidrs: ["10.0.0.0/8"] };
const NOW = new Date("2026-01-15T12:00:00Z");

interface InputSpec {
  readonly address?: string;
  readonly peerPem?: string;
  readonly headers?: Record<string, string>;
}

function input(spec: InputSpec): CheckInput {
  return checkInput({
    address: spec.address ?? "10.1.1.1",
    ...(spec.headers === undefined ? {} : { headers: spec.headers }),
    ...(spec.peerPem === undefined ? {} : { certificate: envoyEncode(spec.peerPem) }),
  });
}

function read(options: ForwardingOptions, spec: InputSpec) {
  return forwardingOf({ forwarding: options }).sources.read(input(spec), NOW);
}

const derOf = (name: keyof DemoPki["tpps"]) => Buffer.from(pki.tpps[name].cert.rawData);

describe("the default sources", () => {
  it("read Envoy's peer certificate only, and no forwarded header even from a listed hop", () => {
    const xfcc = xfccElement({ cert: pki.tpps["tpp-ai"].pem });
    expect(read({ trustedHops: GATEWAY }, { headers: { "x-forwarded-client-cert": xfcc } })).toBeUndefined();
    const peer = read({}, { peerPem: pki.tpps["tpp-pi"].pem });
    expect(peer?.ok && peer.value.via).toBe("peer");
  });
});

describe("forwarded headers and the trusted-hop rule", () => {
  const xfccOnly = { sources: ["xfcc"], trustedHops: GATEWAY };

  it("honours XFCC from a trusted hop", () => {
    const result = read(xfccOnly, {
      headers: { "x-forwarded-client-cert": xfccElement({ cert: pki.tpps["tpp-ai"].pem }) },
    });
    expect(result?.ok && result.value.der.equals(derOf("tpp-ai"))).toBe(true);
  });

  it("denies XFCC from any other peer with CERT_FORWARDED_UNTRUSTED_HOP, before decoding it", () => {
    const result = read(xfccOnly, {
      address: "198.51.100.7",
      headers: { "x-forwarded-client-cert": "garbage" },
    });
    expectError(result);
    expect(result.error.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
    expect(result.error.detail).toContain("198.51.100.7");
  });

  it("denies a Client-Cert-Chain alone from an untrusted peer: any forwarded certificate header counts", () => {
    const chain = byteSequence(Buffer.from(pki.intermediate.cert.rawData));
    const result = read(
      { sources: ["client-cert"], trustedHops: GATEWAY },
      { address: "198.51.100.7", headers: { "client-cert-chain": chain } },
    );
    expect(result?.ok === false && result.error.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });

  it("treats an empty forwarded header as absent", () => {
    expect(read(xfccOnly, { address: "198.51.100.7", headers: { "x-forwarded-client-cert": "" } })).toBe(
      undefined,
    );
  });

  it("ignores headers of sources that are not configured", () => {
    const result = read(xfccOnly, {
      address: "198.51.100.7",
      headers: { "client-cert": byteSequence(derOf("tpp-all")), "x-ssl-client-cert": "x" },
    });
    expect(result).toBeUndefined();
  });

  it("reads a plain header under its configured name", () => {
    const result = read(
      { sources: [{ header: "x-client-certificate" }], trustedHops: GATEWAY },
      { headers: { "x-client-certificate": encodeURIComponent(pki.tpps["tpp-ic"].pem) } },
    );
    expect(result?.ok && result.value.via).toBe("header");
  });
});

describe("the order of sources", () => {
  const both = { sources: ["peer", "xfcc"], trustedHops: GATEWAY };
  const xfccFirst = { sources: ["xfcc", "peer"], trustedHops: GATEWAY };

  it("uses the first source that has a certificate", () => {
    const headers = { "x-forwarded-client-cert": xfccElement({ cert: pki.tpps["tpp-ai"].pem }) };
    const peerWins = read(both, { peerPem: pki.tpps["tpp-pi"].pem, headers });
    expect(peerWins?.ok && peerWins.value.via).toBe("peer");
    const xfccWins = read(xfccFirst, { peerPem: pki.tpps["tpp-pi"].pem, headers });
    expect(xfccWins?.ok && xfccWins.value.via).toBe("xfcc");
  });

  it("falls through to the next source when one has nothing", () => {
    const result = read(xfccFirst, { peerPem: pki.tpps["tpp-pi"].pem });
    expect(result?.ok && result.value.via).toBe("peer");
  });

  it("never looks at a forwarded header once the peer certificate decided", () => {
    const result = read(both, {
      address: "198.51.100.7",
      peerPem: pki.tpps["tpp-pi"].pem,
      headers: { "x-forwarded-client-cert": "forged" },
    });
    expect(result?.ok && result.value.via).toBe("peer");
  });
});

describe("the warm path", () => {
  it("answers a repeated header from memory once the certificate chained: the very same decoded object", () => {
    const forwarding = forwardingOf({ forwarding: { sources: ["xfcc"], trustedHops: GATEWAY } });
    const headers = { "x-forwarded-client-cert": xfccElement({ cert: pki.tpps["tpp-ai"].pem }) };
    const first = forwarding.sources.read(input({ headers }), NOW);
    const unverified = forwarding.sources.read(input({ headers }), NOW);
    if (!first?.ok || !unverified?.ok) throw new Error("expected a decoded certificate");
    // Not kept before the verdict cache says it chained: a flood of untrusted certificates stays out.
    expect(unverified.value).not.toBe(first.value);
    unverified.value.chained();
    const second = forwarding.sources.read(input({ headers }), NOW);
    const third = forwarding.sources.read(input({ headers }), NOW);
    if (!second?.ok || !third?.ok) throw new Error("expected a decoded certificate");
    expect(third.value).toBe(second.value);
    expect(second.value.sha256).toBe(first.value.sha256);
    // The kept form has no DER of its own; asked for it (a verdict that left its cache), it decodes again.
    expect(second.value.der.equals(first.value.der)).toBe(true);
    expect(second.value.offered).toEqual(first.value.offered);
  });
});
