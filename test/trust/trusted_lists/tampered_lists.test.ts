import { webcrypto } from "node:crypto";
import type { X509Certificate } from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import { Application, SignedXml } from "xmldsigjs";
import { verifyLotl } from "../../../src/trust/trusted_lists/lotl.js";
import { NS_DS } from "../../../src/trust/trusted_lists/namespaces.js";
import { verifyTrustedList } from "../../../src/trust/trusted_lists/verify_list.js";
import { parseListXml } from "../../../src/trust/trusted_lists/xml.js";
import { bytes, oj2019Certificates, pivotFetcher, REAL } from "./real_lists.js";

/** Edits of the real DK 2019 list (the smallest real TL), verified against its real LOTL 248 pointer. */
let dkSigners: X509Certificate[] = [];
const original = (): string => new TextDecoder().decode(bytes(REAL.dk2019));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

beforeAll(async () => {
  const lotl = await verifyLotl(bytes(REAL.lotl248), "eu-lotl.xml", oj2019Certificates(), pivotFetcher([]));
  dkSigners = [...(lotl.pointers.find((p) => p.territory === "DK")?.certificates ?? [])];
});

function signatureBounds(xml: string): { start: number; end: number } {
  const start = xml.search(/<(\w+:)?Signature[\s>]/);
  const closing = /<\/(\w+:)?Signature>/g;
  let end = -1;
  for (let m = closing.exec(xml); m !== null; m = closing.exec(xml)) end = m.index + m[0].length;
  return { start, end };
}

describe("a real list as published verifies", () => {
  it("DK 2019, and the same bytes with a UTF-8 BOM in front", async () => {
    expect((await verifyTrustedList(bytes(REAL.dk2019), "DK.xml", dkSigners)).sequenceNumber).toBe(22);
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(REAL.dk2019)]);
    expect((await verifyTrustedList(withBom, "DK.xml", dkSigners)).sequenceNumber).toBe(22);
  });
});

describe("an altered real list is refused with a typed error", () => {
  it("one byte changed (sequence number 22 -> 23): SIGNATURE_INVALID", async () => {
    const xml = original().replace("<TSLSequenceNumber>22<", "<TSLSequenceNumber>23<");
    expect(xml).not.toBe(original());
    await expect(verifyTrustedList(utf8(xml), "DK.xml", dkSigners)).rejects.toMatchObject({
      code: "SIGNATURE_INVALID",
    });
  });

  it("a second ds:Signature: SIGNATURE_PROFILE", async () => {
    const xml = original();
    const { start, end } = signatureBounds(xml);
    const doubled = xml.slice(0, start) + xml.slice(start, end) + xml.slice(start);
    await expect(verifyTrustedList(utf8(doubled), "DK.xml", dkSigners)).rejects.toMatchObject({
      code: "SIGNATURE_PROFILE",
    });
  });

  it("a provider injected inside ds:Signature: still valid XML-DSig maths, refused as CONTENT_IN_SIGNATURE", async () => {
    const xml = original();
    const objectAt = xml.search(/<(\w+:)?Object[\s>]/);
    const openEnd = xml.indexOf(">", objectAt) + 1;
    const injected = `${xml.slice(0, openEnd)}<TrustServiceProvider xmlns="http://uri.etsi.org/02231/v2#"><TSPInformation><TSPName><Name xml:lang="en">Evil CA</Name></TSPName></TSPInformation></TrustServiceProvider>${xml.slice(openEnd)}`;
    // The enveloped-signature transform removes ds:Signature before digesting: the maths alone still pass.
    Application.setEngine("NodeJS", webcrypto as unknown as Parameters<typeof Application.setEngine>[1]);
    const doc = parseListXml(utf8(injected), "DK.xml");
    const raw = new SignedXml(doc as unknown as ConstructorParameters<typeof SignedXml>[0]);
    raw.LoadXml(
      doc.getElementsByTagNameNS(NS_DS, "Signature")[0] as unknown as Parameters<SignedXml["LoadXml"]>[0],
    );
    expect(await raw.Verify()).toBe(true);
    await expect(verifyTrustedList(utf8(injected), "DK.xml", dkSigners)).rejects.toMatchObject({
      code: "CONTENT_IN_SIGNATURE",
    });
  });

  it("no signature: SIGNATURE_MISSING", async () => {
    const xml = original();
    const { start, end } = signatureBounds(xml);
    await expect(
      verifyTrustedList(utf8(xml.slice(0, start) + xml.slice(end)), "DK.xml", dkSigners),
    ).rejects.toMatchObject({
      code: "SIGNATURE_MISSING",
    });
  });

  it("oversized: TOO_LARGE, before any parsing (default cap 16 MiB, and a configured cap)", async () => {
    await expect(
      verifyTrustedList(new Uint8Array(16 * 1024 * 1024 + 1), "big.xml", dkSigners),
    ).rejects.toMatchObject({
      code: "TOO_LARGE",
    });
    await expect(verifyTrustedList(bytes(REAL.dk2019), "DK.xml", dkSigners, 30_000)).rejects.toMatchObject({
      code: "TOO_LARGE",
    });
  });

  it("a DTD (entity expansion, external entities): DTD_FORBIDDEN", async () => {
    const xml = original().replace("?>", '?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>');
    await expect(verifyTrustedList(utf8(xml), "DK.xml", dkSigners)).rejects.toMatchObject({
      code: "DTD_FORBIDDEN",
    });
  });

  it("truncated: NOT_WELL_FORMED", async () => {
    const xml = original();
    await expect(
      verifyTrustedList(utf8(xml.slice(0, xml.length / 2)), "DK.xml", dkSigners),
    ).rejects.toMatchObject({
      code: "NOT_WELL_FORMED",
    });
  });
});
