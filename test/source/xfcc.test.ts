import { createHash } from "node:crypto";
import { SubjectAlternativeNameExtension } from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/demo/certificate_factory.js";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { decodeXfcc } from "../../src/source/decoding/xfcc.js";
import { envoyElement } from "../../src/source/decoding/xfcc_element.js";
import { parseXfcc } from "../../src/source/decoding/xfcc_header.js";
import { expectOk } from "../support/expect_ok.js";
import { xfccElement } from "./encodings.js";
import { envoyXfccHeader } from "./envoy_xfcc.js";

const MAX = 16_384;
let pki: DemoPki;

let gatewayPem: string;

beforeAll(async () => {
  pki = await createDemoPki();
  const gateway = await issueCertificate({
    subject: "CN=istio-ingressgateway",
    issuer: pki.intermediate,
    extraExtensions: [new SubjectAlternativeNameExtension([{ type: "url", value: GATEWAY }])],
  });
  gatewayPem = gateway.pem;
});

const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

const HASH = "ab".repeat(32);
const pairsOf = (header: string) => {
  const parsed = parseXfcc(header);
  return parsed.ok
    ? parsed.value.map((element) => element.map(({ key, value }) => `${key}=${value}`))
    : parsed;
};

describe("the XFCC syntax as Envoy writes it", () => {
  it("splits elements on commas and pairs on semicolons, keeping values as written", () => {
    expect(pairsOf("By=spiffe://a;Hash=01,By=spiffe://b;URI=spiffe://c")).toEqual([
      ["By=spiffe://a", "Hash=01"],
      ["By=spiffe://b", "URI=spiffe://c"],
    ]);
  });

  it("keeps commas, semicolons and escaped quotes inside quotes as data", () => {
    expect(pairsOf('Subject="CN=a\\, O=Bank\\; Unit,O=\\"Q\\" SA,C=FR";URI=x,By=y')).toEqual([
      ['Subject=CN=a\\, O=Bank\\; Unit,O=\\"Q\\" SA,C=FR', "URI=x"],
      ["By=y"],
    ]);
  });

  it("marks which values were quoted", () => {
    const parsed = parseXfcc('Hash=01;Cert="x";URI=');
    expect(parsed.ok && parsed.value[0]!.map((pair) => pair.quoted)).toEqual([false, true, false]);
  });

  it.each([
    ["an unterminated quote", 'Cert="abc'],
    ["a backslash escaping the closing quote", 'Cert="abc\\"'],
    ["a key without a value separator", "Cert"],
    ["an empty element", "By=a,,By=b"],
    ["a trailing separator", "By=a;"],
    ["an unescaped quote inside a quoted value", 'Subject="O="Quoted" SA";URI=u'],
    ["text after a closing quote", 'Cert="a" b'],
    ["the space proxies put between joined header lines (Envoy writes none)", "By=a;URI=b, By=c"],
    ["an empty header", ""],
  ])("refuses %s as CERT_MALFORMED", (_case, header) => {
    const parsed = parseXfcc(header);
    expect(!parsed.ok && parsed.error.reason).toBe("CERT_MALFORMED");
  });
});

describe("an element in the shape Envoy gives it", () => {
  const element = (header: string) => {
    const parsed = parseXfcc(header);
    if (!parsed.ok) throw new Error(parsed.error.detail);
    return envoyElement(parsed.value[0]!, 0);
  };

  it("reads By, Hash, Cert, Chain, Subject, every URI and every DNS, in Envoy's order", () => {
    const read = element(
      `By=spiffe://gw;Hash=${HASH};Cert="c";Chain="d";Subject="CN=x";URI=u1;URI=u2;DNS=a;DNS=b`,
    );
    expect(read.ok && read.value).toEqual({
      by: ["spiffe://gw"],
      hash: HASH,
      cert: "c",
      chain: "d",
      subject: "CN=x",
      uri: ["u1", "u2"],
      dns: ["a", "b"],
    });
  });

  it("accepts the empty URI Envoy writes for a certificate without one", () => {
    const read = element(`Hash=${HASH};Subject="";URI=`);
    expect(read.ok && read.value.uri).toEqual([""]);
  });

  it.each([
    ["a Cert after the URI (a SAN that carried a pair)", `Hash=${HASH};URI=urn:x;Cert="c"`],
    ["a second Cert", `Hash=${HASH};Cert="c";Cert="d"`],
    ["a second Hash", `Hash=${HASH};Hash=${HASH};Cert="c"`],
    ["a Hash after the Cert", `Cert="c";Hash=${HASH}`],
    ["no Hash", 'Cert="c"'],
    ["a Hash that is not a SHA-256", 'Hash=00;Cert="c"'],
    ["an upper-case Hash", `Hash=${HASH.toUpperCase()};Cert="c"`],
    ["a key Envoy does not write", `Hash=${HASH};Cert="c";Role=admin`],
    ["a key spelled otherwise than Envoy spells it", `Hash=${HASH};cert="c"`],
    ["a Cert written raw", `Hash=${HASH};Cert=c`],
    ["a URI written quoted", `Hash=${HASH};URI="u"`],
    ["a raw value holding '='", `Hash=${HASH};URI=urn:x=y`],
    ["a raw value holding '\"'", `Hash=${HASH};URI=urn:x"y`],
    ["a DNS before the URI", `Hash=${HASH};DNS=a;URI=u`],
  ])("refuses %s as CERT_FORWARDED_UNTRUSTED_HOP", (_case, header) => {
    const read = element(header);
    expect(!read.ok && read.error.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });
});

const GATEWAY = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
const SIDECAR = "spiffe://cluster.local/ns/bank/sa/accounts-api";
const ALL_DETAILS = { cert: true, subject: true, uri: true, dns: true } as const;

describe("the certificate in an XFCC header", () => {
  it("decodes the element Envoy sets (SANITIZE_SET) and keeps the leaf's SHA-256 as its identity", () => {
    const leaf = pki.tpps["tpp-ai"];
    const header = envoyXfccHeader(
      "SANITIZE_SET",
      undefined,
      { peer: leaf.pem, localUriSans: [GATEWAY] },
      ALL_DETAILS,
    );
    expect(header).toContain("%0A");
    const decoded = decodeXfcc(header!, MAX);
    expectOk(decoded);
    expect(decoded.value.der.equals(Buffer.from(leaf.cert.rawData))).toBe(true);
    expect(decoded.value.via).toBe("xfcc");
    expect(decoded.value.offered).toEqual([]);
    expect(decoded.value.sha256).toBe(sha256(Buffer.from(leaf.cert.rawData)));
  });

  it("refuses a second element from a hop trusted by address: the hop writes one", () => {
    const clientSent = xfccElement({ cert: pki.tpps["tpp-pi"].pem });
    const appended = envoyXfccHeader(
      "APPEND_FORWARD",
      clientSent,
      { peer: pki.tpps["tpp-ai"].pem },
      { cert: true },
    );
    const decoded = decodeXfcc(appended!, MAX);
    expect(!decoded.ok && decoded.error.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });

  it("reads the gateway's element behind the sidecar that appended one about the gateway (Istio)", () => {
    const atGateway = envoyXfccHeader(
      "SANITIZE_SET",
      undefined,
      { peer: pki.tpps["tpp-ai"].pem, localUriSans: [GATEWAY] },
      { cert: true },
    );
    const atSidecar = envoyXfccHeader(
      "APPEND_FORWARD",
      atGateway,
      { peer: gatewayPem, localUriSans: [SIDECAR] },
      { subject: true, uri: true, dns: true },
    )!;
    const asSidecar = decodeXfcc(atSidecar, MAX, GATEWAY);
    expect(asSidecar.ok && asSidecar.value.der.equals(der(pki.tpps["tpp-ai"].pem))).toBe(true);
    const hopNotByPrincipal = decodeXfcc(atSidecar, MAX);
    expect(!hopNotByPrincipal.ok && hopNotByPrincipal.error.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });

  it("refuses two elements from a principal hop unless the second is about the hop and the first is the hop's", () => {
    const byGateway = xfccElement({ by: GATEWAY, cert: pki.tpps["tpp-ai"].pem });
    const aboutGatewayByGateway = xfccElement({ by: GATEWAY, cert: pki.tpps["tpp-pi"].pem, uri: GATEWAY });
    const aboutSomeoneElse = xfccElement({
      by: SIDECAR,
      cert: pki.tpps["tpp-pi"].pem,
      uri: "spiffe://other",
    });
    const typedByClient = xfccElement({ cert: pki.tpps["tpp-all"].pem });
    const aboutGateway = xfccElement({ by: SIDECAR, cert: pki.tpps["tpp-pi"].pem, uri: GATEWAY });
    for (const header of [
      `${typedByClient},${aboutGatewayByGateway}`,
      `${byGateway},${aboutSomeoneElse}`,
      `${typedByClient},${aboutGateway}`,
      `${byGateway},${aboutGateway},${aboutGateway}`,
    ]) {
      const decoded = decodeXfcc(header, MAX, GATEWAY);
      expect(!decoded.ok && decoded.error.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
    }
  });

  it("never skips the only element, even when it describes the peer", () => {
    const only = xfccElement({ cert: pki.tpps["tpp-ai"].pem, uri: "spiffe://peer" });
    const decoded = decodeXfcc(only, MAX, "spiffe://peer");
    expect(decoded.ok && decoded.value.der.equals(der(pki.tpps["tpp-ai"].pem))).toBe(true);
  });

  it("offers the Chain, minus the leaf it repeats, to complete the path", () => {
    const header = envoyXfccHeader(
      "SANITIZE_SET",
      undefined,
      { peer: pki.tpps["tpp-ai"].pem, peerChain: [pki.intermediate.pem] },
      { cert: true, chain: true },
    );
    const decoded = decodeXfcc(header!, MAX);
    expectOk(decoded);
    expect(decoded.value.offered).toHaveLength(1);
    expect(decoded.value.offered[0]!.equals(der(pki.intermediate.pem))).toBe(true);
  });

  it("takes the leaf from the Chain when Envoy sends only the Chain", () => {
    const header = envoyXfccHeader(
      "SANITIZE_SET",
      undefined,
      { peer: pki.tpps["tpp-ic"].pem, peerChain: [pki.intermediate.pem] },
      { chain: true, uri: true },
    );
    const decoded = decodeXfcc(header!, MAX);
    expect(decoded.ok && decoded.value.der.equals(der(pki.tpps["tpp-ic"].pem))).toBe(true);
    expect(decoded.ok && decoded.value.offered.length).toBe(1);
  });

  it("keys the verdict cache by leaf and chain, so a chain never borrows another chain's verdict", () => {
    const leaf = pki.tpps["tpp-ai"].pem;
    const alone = decodeXfcc(xfccElement({ cert: leaf }), MAX);
    const chained = decodeXfcc(xfccElement({ cert: leaf, chain: `${leaf}${pki.intermediate.pem}` }), MAX);
    const rooted = decodeXfcc(xfccElement({ cert: leaf, chain: `${leaf}${pki.root.pem}` }), MAX);
    expectOk(alone);
    expectOk(chained);
    expectOk(rooted);
    expect(alone.value.cacheKey).toBe(alone.value.sha256);
    expect(chained.value.sha256).toBe(alone.value.sha256);
    expect(new Set([alone.value.cacheKey, chained.value.cacheKey, rooted.value.cacheKey]).size).toBe(3);
  });

  it("refuses a Cert that is not the certificate the element's Hash names", () => {
    const hashOfAnother = sha256(der(pki.tpps["tpp-pi"].pem));
    const decoded = decodeXfcc(xfccElement({ hash: hashOfAnother, cert: pki.tpps["tpp-ai"].pem }), MAX);
    expect(!decoded.ok && decoded.error.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });

  it("reports an element without Cert or Chain as a missing certificate", () => {
    const header = envoyXfccHeader(
      "SANITIZE_SET",
      undefined,
      { peer: pki.tpps["tpp-ai"].pem },
      { subject: true },
    );
    const decoded = decodeXfcc(header!, MAX);
    expect(!decoded.ok && decoded.error.reason).toBe("CERT_MISSING");
  });

  it.each([
    ["bad percent-encoding", () => `Hash=${HASH};Cert="%ZZ"`],
    ["a Cert that is not PEM", () => `Hash=${HASH};Cert="hello"`],
    ["two certificates in Cert", () => xfccElement({ cert: `${pki.tpps["tpp-ai"].pem}${pki.root.pem}` })],
    ["a Cert over the size limit", () => `Hash=${HASH};Cert="${"A".repeat(MAX + 1)}"`],
  ])("refuses %s as CERT_MALFORMED", (_case, header) => {
    const decoded = decodeXfcc(header(), MAX);
    expect(!decoded.ok && decoded.error.reason).toBe("CERT_MALFORMED");
  });
});

describe("any header text", () => {
  it("gets a Result, never an exception (3,000 headers built from XFCC's own characters)", () => {
    const pieces = [
      "By=",
      "Hash=",
      `Hash=${HASH}`,
      "Cert=",
      "URI=",
      "DNS=",
      '"',
      "\\",
      ",",
      ";",
      "=",
      "a",
      "%0A",
      " ",
    ];
    let seed = 1;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let round = 0; round < 3000; round += 1) {
      const length = 1 + (next() % 12);
      const header = Array.from({ length }, () => pieces[next() % pieces.length]).join("");
      const decoded = decodeXfcc(header, MAX, next() % 2 === 0 ? GATEWAY : undefined);
      expect(decoded.ok ? "ok" : decoded.error.reason).toMatch(/^(ok|CERT_[A-Z_]+)$/);
    }
  });
});
