import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.js";
import { ConfigError } from "../../src/foundation/config_error.js";
import { buildForwarding, type ForwardingSettings } from "../../src/source/provenance/forwarding.js";
import { sniSchema, sourcesSchema, trustedHopsSchema } from "../../src/source/provenance/source_config.js";

const BASE = "trust: { anchors: roots.pem }\npolicy: policy.yaml\n";

function configWith(yaml: string) {
  return parseConfig(`${BASE}${yaml}`, "/etc/gatekeeper/config.yaml");
}

function configError(yaml: string): ConfigError {
  try {
    configWith(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("the forwarding keys of the config file", () => {
  it("default to Envoy's peer certificate only, no trusted hop, no SNI rule, no HTTP listener", () => {
    const config = configWith("");
    expect(config.sources).toEqual([{ kind: "peer" }]);
    expect(config.trustedHops).toEqual({ cidrs: [], principals: [] });
    expect(config.sni).toEqual({ required: false, hosts: [], header: "x-forwarded-sni" });
    expect(config.http).toEqual({ enabled: false, host: "127.0.0.1", port: 9192 });
  });

  it("read sources in order, a bare `header` naming the default header", () => {
    const config = configWith(
      "sources: [xfcc, client-cert, header, { header: x-amzn-mtls-clientcert }, peer]\n",
    );
    expect(config.sources).toEqual([
      { kind: "xfcc" },
      { kind: "client-cert" },
      { kind: "header", name: "x-ssl-client-cert" },
      { kind: "header", name: "x-amzn-mtls-clientcert" },
      { kind: "peer" },
    ]);
  });

  it("read IPv4 and IPv6 blocks and principals", () => {
    const config = configWith(
      "trustedHops:\n  cidrs: [10.0.0.0/8, '2001:db8::/32', 127.0.0.1]\n  principals: [spiffe://x/gw]\n",
    );
    const hop = config.trustedHops;
    if (Array.isArray(hop)) throw new Error("the object form stays an object");
    expect(hop.cidrs.map((cidr) => `${cidr.address}/${cidr.prefix}`)).toEqual([
      "10.0.0.0/8",
      "2001:db8::/32",
      "127.0.0.1/32",
    ]);
    expect(hop.principals).toEqual(["spiffe://x/gw"]);
  });

  it("lower-cases SNI hosts", () => {
    expect(configWith("sni: { hosts: [API.Bank.Example, '*.PSD2.bank.example'] }\n").sni.hosts).toEqual([
      "api.bank.example",
      "*.psd2.bank.example",
    ]);
  });

  it.each([
    ["an unknown source", "sources: [tls]\n", "sources.0"],
    ["a source listed twice", "sources: [xfcc, xfcc]\n", "sources.1"],
    [
      "a plain header reusing the XFCC name",
      "sources: [{ header: x-forwarded-client-cert }]\n",
      "sources.0.header",
    ],
    ["an upper-case header name", "sources: [{ header: X-Cert }]\n", "sources.0.header"],
    ["no source at all", "sources: []\n", "sources"],
    ["a block that is not one", "trustedHops: { cidrs: [10.0.0.0/33] }\n", "trustedHops.cidrs.0"],
    ["a host name as a block", "trustedHops: { cidrs: [gateway.internal] }\n", "trustedHops.cidrs.0"],
    ["a wildcard in the middle of a host", "sni: { hosts: ['api.*.example'] }\n", "sni.hosts.0"],
    ["a misspelt key", "trustedHops: { cidr: [10.0.0.0/8] }\n", "trustedHops.cidr"],
  ])("refuses %s, naming the key", (_case, yaml, key) => {
    expect(configError(yaml).key).toBe(key);
  });
});

describe("settings that cannot work together", () => {
  function settings(overrides: Partial<ForwardingSettings>): ForwardingSettings {
    return {
      sources: sourcesSchema.parse(undefined),
      trustedHops: trustedHopsSchema.parse({}),
      sni: sniSchema.parse({}),
      maxCertificateBytes: 16_384,
      maxEntries: 10,
      httpEnabled: false,
      ...overrides,
    };
  }

  it("refuse a forwarded source with no trusted hop: it would deny every forwarded certificate", () => {
    expect(() => buildForwarding(settings({ sources: sourcesSchema.parse(["xfcc"]) }), "c.yaml")).toThrow(
      /c\.yaml: trustedHops: /,
    );
  });

  it("refuse the HTTP mode without a forwarded source: it has no TLS connection of its own", () => {
    expect(() => buildForwarding(settings({ httpEnabled: true }), "c.yaml")).toThrow(/c\.yaml: sources: /);
  });

  it("list every forwarded-certificate and SNI header for removal, configured or not", () => {
    const forwarding = buildForwarding(
      settings({
        sources: sourcesSchema.parse(["peer", { header: "x-client-certificate" }]),
        trustedHops: trustedHopsSchema.parse({ cidrs: ["10.0.0.0/8"] }),
      }),
      "c.yaml",
    );
    expect([...forwarding.forwardedHeaders].sort()).toEqual([
      "client-cert",
      "client-cert-chain",
      "x-client-certificate",
      "x-forwarded-client-cert",
      "x-forwarded-sni",
      "x-ssl-client-cert",
    ]);
  });
});
