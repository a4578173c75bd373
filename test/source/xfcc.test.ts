import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { decodeXfcc } from "../../src/source/xfcc.js";
import { parseXfcc } from "../../src/source/xfcc_header.js";
import { envoyEncode, xfccElement } from "./encodings.js";

const MAX = 16_384;
let pki: DemoPki;

beforeAll(async () => {
  pki = await createDemoPki();
});

const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("the XFCC grammar", () => {
  it("splits elements on commas and pairs on semicolons, keys case-insensitive", () => {
    const parsed = parseXfcc("By=spiffe://a;Hash=01,By=spiffe://b;URI=spiffe://c");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toHaveLength(2);
    expect(parsed.value[0]!.get("by")).toEqual(["spiffe://a"]);
    expect(parsed.value[1]!.get("uri")).toEqual(["spiffe://c"]);
  });

  it("keeps commas and semicolons inside quotes as data", () => {
    const parsed = parseXfcc('Subject="CN=a, O=Bank; Unit,C=FR";URI=x,By=y');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toHaveLength(2);
    expect(parsed.value[0]!.get("subject")).toEqual(["CN=a, O=Bank; Unit,C=FR"]);
  });

  it("reads backslash-escaped quotes, and unescaped inner quotes in a Subject as data", () => {
    const escaped = parseXfcc('Subject="O=\\"Quoted\\" SA";URI=x');
    expect(escaped.ok && escaped.value[0]!.get("subject")).toEqual(['O="Quoted" SA']);
    const unescaped = parseXfcc('Subject="O="Quoted" SA,CN=x";URI=u');
    expect(unescaped.ok && unescaped.value[0]!.get("subject")).toEqual(['O="Quoted" SA,CN=x']);
    expect(unescaped.ok && unescaped.value[0]!.get("uri")).toEqual(["u"]);
  });

  it("keeps every DNS value of an element", () => {
    const parsed = parseXfcc("DNS=a.example;DNS=b.example");
    expect(parsed.ok && parsed.value[0]!.get("dns")).toEqual(["a.example", "b.example"]);
  });

  it("accepts the ', ' that proxies and node put between joined header lines", () => {
    const parsed = parseXfcc("By=a;URI=b , By=c ;URI=d");
    expect(parsed.ok && parsed.value.map((element) => element.get("by"))).toEqual([["a"], ["c"]]);
  });

  it.each([
    ["an unterminated quote", 'Cert="abc'],
    ["a key without a value separator", "Cert"],
    ["an empty element", "By=a,,By=b"],
    ["a trailing separator", "By=a;"],
    ["a quote inside a bare value", 'By=a"b'],
    ["text after a closing quote", 'Cert="a" b'],
    ["an empty header", ""],
  ])("refuses %s as CERT_MALFORMED", (_case, header) => {
    const parsed = parseXfcc(header);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.denial.reason).toBe("CERT_MALFORMED");
  });
});

describe("the certificate in an XFCC header", () => {
  it("decodes Envoy's percent-encoded Cert and keeps the leaf's SHA-256 as its identity", () => {
    const leaf = pki.tpps["tpp-ai"];
    const header = xfccElement({
      by: "spiffe://cluster.local/ns/edge/sa/gateway",
      hash: sha256(Buffer.from(leaf.cert.rawData)),
      cert: leaf.pem,
      subject: leaf.cert.subject,
      dns: ["tpp-ai.demo.example"],
    });
    expect(header).toContain("%0A");
    const decoded = decodeXfcc(header, MAX);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.der.equals(Buffer.from(leaf.cert.rawData))).toBe(true);
    expect(decoded.value.via).toBe("xfcc");
    expect(decoded.value.offered).toEqual([]);
    expect(decoded.value.sha256).toBe(sha256(Buffer.from(leaf.cert.rawData)));
  });

  it("takes the last element, the one the nearest proxy added, and ignores the earlier ones", () => {
    const far = xfccElement({ by: "spiffe://far", cert: pki.tpps["tpp-pi"].pem });
    const near = xfccElement({ by: "spiffe://near", cert: pki.tpps["tpp-ai"].pem });
    const decoded = decodeXfcc(`${far},${near}`, MAX);
    expect(decoded.ok && decoded.value.der.equals(der(pki.tpps["tpp-ai"].pem))).toBe(true);
  });

  it("skips the element the calling Envoy appended about a hop trusted by principal (Istio sidecar)", () => {
    const gateway = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
    const added = xfccElement({ by: gateway, cert: pki.tpps["tpp-ai"].pem });
    const appended = xfccElement({
      by: "spiffe://cluster.local/ns/bank/sa/api",
      hash: "ab",
      subject: "",
      uri: gateway,
    });
    const asSidecar = decodeXfcc(`${added},${appended}`, MAX, gateway);
    expect(asSidecar.ok && asSidecar.value.der.equals(der(pki.tpps["tpp-ai"].pem))).toBe(true);
    const hopNotByPrincipal = decodeXfcc(`${added},${appended}`, MAX);
    expect(!hopNotByPrincipal.ok && hopNotByPrincipal.denial.reason).toBe("CERT_MISSING");
  });

  it("never skips the only element, even when it describes the peer", () => {
    const only = xfccElement({ cert: pki.tpps["tpp-ai"].pem, uri: "spiffe://peer" });
    const decoded = decodeXfcc(only, MAX, "spiffe://peer");
    expect(decoded.ok && decoded.value.der.equals(der(pki.tpps["tpp-ai"].pem))).toBe(true);
  });

  it("offers the Chain, minus the leaf it repeats, to complete the path", () => {
    const leaf = pki.tpps["tpp-ai"].pem;
    const header = xfccElement({ cert: leaf, chain: `${leaf}${pki.intermediate.pem}` });
    const decoded = decodeXfcc(header, MAX);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.offered).toHaveLength(1);
    expect(decoded.value.offered[0]!.equals(der(pki.intermediate.pem))).toBe(true);
  });

  it("takes the leaf from the Chain when Envoy sends only the Chain", () => {
    const header = xfccElement({ chain: `${pki.tpps["tpp-ic"].pem}${pki.intermediate.pem}` });
    const decoded = decodeXfcc(header, MAX);
    expect(decoded.ok && decoded.value.der.equals(der(pki.tpps["tpp-ic"].pem))).toBe(true);
    expect(decoded.ok && decoded.value.offered.length).toBe(1);
  });

  it("keys the verdict cache by leaf and chain, so a chain never borrows another chain's verdict", () => {
    const leaf = pki.tpps["tpp-ai"].pem;
    const alone = decodeXfcc(xfccElement({ cert: leaf }), MAX);
    const chained = decodeXfcc(xfccElement({ cert: leaf, chain: `${leaf}${pki.intermediate.pem}` }), MAX);
    const rooted = decodeXfcc(xfccElement({ cert: leaf, chain: `${leaf}${pki.root.pem}` }), MAX);
    expect(alone.ok && chained.ok && rooted.ok).toBe(true);
    if (!alone.ok || !chained.ok || !rooted.ok) return;
    expect(alone.value.cacheKey).toBe(alone.value.sha256);
    expect(chained.value.sha256).toBe(alone.value.sha256);
    expect(new Set([alone.value.cacheKey, chained.value.cacheKey, rooted.value.cacheKey]).size).toBe(3);
  });

  it("reports an element without Cert or Chain as a missing certificate", () => {
    const decoded = decodeXfcc('By=spiffe://gw;Hash=00;Subject="CN=x"', MAX);
    expect(!decoded.ok && decoded.denial.reason).toBe("CERT_MISSING");
  });

  it("refuses an element with two Certs: a Subject cannot smuggle in a second one", () => {
    const cert = envoyEncode(pki.tpps["tpp-ai"].pem);
    const forged = envoyEncode(pki.tpps["tpp-all"].pem);
    const decoded = decodeXfcc(`Cert="${cert}";Subject="O=x";Cert="${forged}"`, MAX);
    expect(!decoded.ok && decoded.denial.reason).toBe("CERT_MALFORMED");
  });

  it.each([
    ["bad percent-encoding", 'Cert="%ZZ"'],
    ["a Cert that is not PEM", 'Cert="hello"'],
    ["two certificates in Cert", () => xfccElement({ cert: `${pki.tpps["tpp-ai"].pem}${pki.root.pem}` })],
    ["a Cert over the size limit", () => `Cert="${"A".repeat(MAX + 1)}"`],
  ])("refuses %s as CERT_MALFORMED", (_case, header) => {
    const decoded = decodeXfcc(typeof header === "function" ? header() : header, MAX);
    expect(!decoded.ok && decoded.denial.reason).toBe("CERT_MALFORMED");
  });
});
