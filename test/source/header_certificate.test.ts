import { beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { decodeHeaderCertificate } from "../../src/source/decoding/header_certificate.js";
import { expectOk } from "../support/expect_ok.js";
import { traefikCertificates } from "./encodings.js";

const MAX = 16_384;
let pki: DemoPki;
let leaf: Buffer;

beforeAll(async () => {
  pki = await createDemoPki();
  leaf = Buffer.from(pki.tpps["tpp-pi"].cert.rawData);
});

describe("a plain header carrying the certificate", () => {
  it("reads URL-encoded PEM, as nginx's $ssl_client_escaped_cert sends it", () => {
    const decoded = decodeHeaderCertificate(encodeURIComponent(pki.tpps["tpp-pi"].pem), MAX);
    expectOk(decoded);
    expect(decoded.value.der.equals(leaf)).toBe(true);
    expect(decoded.value.via).toBe("header");
    expect(decoded.value.offered).toEqual([]);
  });

  it("reads PEM with '+', '/' and '=' left unescaped, as some load balancers send it", () => {
    const pem = pki.tpps["tpp-pi"].pem;
    const decoded = decodeHeaderCertificate(pem.replace(/\n/g, "%0A").replace(/ /g, "%20"), MAX);
    expect(decoded.ok && decoded.value.der.equals(leaf)).toBe(true);
  });

  it("takes the first PEM block as the leaf and offers the rest", () => {
    const pem = `${pki.tpps["tpp-pi"].pem}${pki.intermediate.pem}`;
    const decoded = decodeHeaderCertificate(encodeURIComponent(pem), MAX);
    expect(decoded.ok && decoded.value.der.equals(leaf)).toBe(true);
    expect(decoded.ok && decoded.value.offered.length).toBe(1);
  });

  it("reads Traefik's comma-separated base64 DER, leaf first", () => {
    const value = traefikCertificates([pki.tpps["tpp-pi"].pem, pki.intermediate.pem]);
    const decoded = decodeHeaderCertificate(value, MAX);
    expect(decoded.ok && decoded.value.der.equals(leaf)).toBe(true);
    expect(decoded.ok && decoded.value.offered.length).toBe(1);
    const escaped = decodeHeaderCertificate(encodeURIComponent(value), MAX);
    expect(escaped.ok && escaped.value.der.equals(leaf)).toBe(true);
  });

  it("refuses two PEM header values joined by a comma rather than guess which the proxy wrote", () => {
    const joined = `${encodeURIComponent(pki.tpps["tpp-all"].pem)}, ${encodeURIComponent(pki.tpps["tpp-pi"].pem)}`;
    const decoded = decodeHeaderCertificate(joined, MAX);
    expect(!decoded.ok && decoded.error.reason).toBe("CERT_MALFORMED");
  });

  it.each([
    ["bad percent-encoding", "%E0%A4%A"],
    ["text that is neither PEM nor base64 DER", "hello world"],
    ["an empty member in a base64 list", () => `${traefikCertificates([pki.root.pem])},`],
    ["a value over the size limit", () => "A".repeat(MAX * 9 + 1)],
  ])("refuses %s as CERT_MALFORMED", (_case, value) => {
    const decoded = decodeHeaderCertificate(typeof value === "function" ? value() : value, MAX);
    expect(!decoded.ok && decoded.error.reason).toBe("CERT_MALFORMED");
  });
});
