import { beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { presented } from "../../src/source/decoding/presented_certificate.js";

let pki: DemoPki;
beforeAll(async () => {
  pki = await createDemoPki();
});

describe("a presented certificate", () => {
  it("owns its DER: a cached certificate does not pin a slab of the shared Buffer pool", () => {
    const body = pki.tpps["tpp-ai"].pem.replace(/-----[^-]+-----|\s/g, "");
    const pooled = Buffer.from(body, "base64"); // small: a slice of Node's 8 KiB pool
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    const certificate = presented(pooled, "peer", [pooled]);
    expect(certificate.der.equals(pooled)).toBe(true);
    expect(certificate.der.buffer.byteLength).toBe(pooled.length);
    expect(certificate.offered[0]?.buffer.byteLength).toBe(pooled.length);
  });
});
