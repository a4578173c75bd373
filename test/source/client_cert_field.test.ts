import { beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { decodeClientCert } from "../../src/source/decoding/client_cert_field.js";
import { expectOk } from "../support/expect_ok.js";
import { byteSequence } from "./encodings.js";

const MAX = 16_384;
let pki: DemoPki;
let leaf: Buffer;
let intermediate: Buffer;

beforeAll(async () => {
  pki = await createDemoPki();
  leaf = Buffer.from(pki.tpps["tpp-ai"].cert.rawData);
  intermediate = Buffer.from(pki.intermediate.cert.rawData);
});

describe("RFC 9440 Client-Cert and Client-Cert-Chain", () => {
  it("reads the leaf from a Byte Sequence of DER", () => {
    const decoded = decodeClientCert(byteSequence(leaf), undefined, MAX);
    expectOk(decoded);
    expect(decoded.value.der.equals(leaf)).toBe(true);
    expect(decoded.value.via).toBe("client-cert");
    expect(decoded.value.offered).toEqual([]);
  });

  it("offers every member of Client-Cert-Chain, in order, to complete the path", () => {
    const root = Buffer.from(pki.root.cert.rawData);
    const chain = `${byteSequence(intermediate)}, ${byteSequence(root)}`;
    const decoded = decodeClientCert(byteSequence(leaf), chain, MAX);
    expectOk(decoded);
    expect(decoded.value.offered.map((der) => der.toString("hex"))).toEqual([
      intermediate.toString("hex"),
      root.toString("hex"),
    ]);
    expect(decoded.value.cacheKey).not.toBe(decoded.value.sha256);
  });

  it("ignores structured-field parameters on the items", () => {
    const decoded = decodeClientCert(`${byteSequence(leaf)};x=1`, `${byteSequence(intermediate)};y`, MAX);
    expect(decoded.ok && decoded.value.offered.length).toBe(1);
  });

  it.each([
    ["a token, not a byte sequence", () => "MIIB"],
    ["a string", () => '"MIIB"'],
    ["invalid base64 inside the colons", () => ":not*base64:"],
    ["bytes that are not a DER SEQUENCE", () => byteSequence(Buffer.from("hello"))],
    ["a truncated certificate", () => byteSequence(leaf.subarray(0, leaf.length - 1))],
    ["two items where one is allowed", () => `${byteSequence(leaf)}, ${byteSequence(leaf)}`],
    ["a value over the size limit", () => `:${"A".repeat(MAX)}:`],
  ])("refuses a Client-Cert that is %s", (_case, field) => {
    const decoded = decodeClientCert(field(), undefined, MAX);
    expect(!decoded.ok && decoded.error.reason).toBe("CERT_MALFORMED");
  });

  it.each([
    ["an inner list", () => `(${byteSequence(intermediate)})`],
    ["a member that is not a byte sequence", () => `${byteSequence(intermediate)}, 42`],
    ["not a list", () => ":::"],
    [
      "more than 8 certificates",
      () => Array.from({ length: 9 }, () => byteSequence(intermediate)).join(", "),
    ],
  ])("refuses a Client-Cert-Chain that is %s", (_case, chain) => {
    const decoded = decodeClientCert(byteSequence(leaf), chain(), MAX);
    expect(!decoded.ok && decoded.error.reason).toBe("CERT_MALFORMED");
  });
});
