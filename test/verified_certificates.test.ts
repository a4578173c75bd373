import { beforeAll, describe, expect, it } from "vitest";
import { issueCertificate, psd2Roles } from "../src/demo/certificate_factory.js";
import { createDemoPki, type DemoPki } from "../src/demo/demo_pki.js";
import { MAX_CACHED_DETAIL_CHARS, VerifiedCertificates } from "../src/pipeline/verified_certificates.js";
import { presented } from "../src/source/decoding/presented_certificate.js";
import { trustStoreFromCertificates } from "../src/trust/trust_store.js";
import { expectError, expectOk } from "./support/expect_ok.js";
import { hostileCertificates } from "./support/hostile_certificates.js";

let pki: DemoPki;
beforeAll(async () => {
  pki = await createDemoPki();
});

function cacheOf(
  maxEntries = 100,
  limits: { maxBytes?: number; denialTtlMs?: number } = {},
): VerifiedCertificates {
  return new VerifiedCertificates({
    trust: trustStoreFromCertificates([pki.root.cert], [pki.intermediate.cert]),
    qwac: { acceptEseal: false },
    headerPrefix: "x-tpp-",
    maxEntries,
    ...(limits.maxBytes === undefined ? {} : { maxBytes: limits.maxBytes }),
    denialTtlMs: limits.denialTtlMs ?? 60_000,
  });
}

/** Self-signed certificates with 4.5 KB names, as in the red team's flood (issue 13). */
const hostile = (() => {
  const certificates = hostileCertificates(4500);
  return (index: number) => presented(Buffer.from(pemBody(certificates.pem(index)), "base64"), "peer");
})();

function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----|\s/g, "");
}

const der = (name: keyof DemoPki["tpps"]) => Buffer.from(pki.tpps[name].cert.rawData);

describe("the parse + chain cache", () => {
  it("answers a repeat from the cache: the very same verified object, not a re-verification", async () => {
    const cache = cacheOf();
    const first = await cache.verify(presented(der("tpp-ai"), "peer"), new Date());
    const second = await cache.verify(presented(der("tpp-ai"), "peer"), new Date());
    expectOk(first);
    expectOk(second);
    expect(second.value).toBe(first.value);
  });

  it("answers a cached verdict synchronously, and only a first sight with a promise", async () => {
    const cache = cacheOf();
    const first = cache.verify(presented(der("tpp-ai"), "peer"), new Date());
    expect(first).toBeInstanceOf(Promise);
    await first;
    const warm = cache.verify(presented(der("tpp-ai"), "peer"), new Date());
    expect(warm).not.toBeInstanceOf(Promise);
    expect("ok" in warm && warm.ok).toBe(true);
  });

  it("verifies a certificate once however many Checks ask for it at the same time", async () => {
    const cache = cacheOf();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => cache.verify(presented(der("tpp-pi"), "peer"), new Date())),
    );
    const objects = new Set(results.map((result) => (result.ok ? result.value : undefined)));
    expect(objects.size).toBe(1);
    expect(cache.size).toBe(1);
  });

  it("is bounded in entries", async () => {
    const cache = cacheOf(2);
    for (const name of ["tpp-ai", "tpp-pi", "tpp-ic", "tpp-all"] as const)
      await cache.verify(presented(der(name), "peer"), new Date());
    expect(cache.size).toBe(2);
  });

  it("never serves a verdict past the certificate's notAfter", async () => {
    const notAfter = new Date(Date.now() + 3_600_000);
    const shortLived = await issueCertificate({
      subject: "CN=short, O=Short SAS, 2.5.4.97=PSDFR-ACPR-9, C=FR",
      issuer: pki.intermediate,
      notAfter,
      qc: { psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
    });
    const clock = { now: new Date() };
    const cache = cacheOf();
    const cert = presented(Buffer.from(shortLived.cert.rawData), "peer");
    expect((await cache.verify(cert, clock.now)).ok).toBe(true);
    clock.now = new Date(notAfter.getTime() + 1000);
    const later = await cache.verify(cert, clock.now);
    expectError(later);
    expect(later.error.reason).toBe("CERT_EXPIRED");
  });

  it("remembers a denial only for its TTL, so a not-yet-valid certificate is admitted once valid", async () => {
    const notBefore = new Date(Date.now() + 120_000);
    const future = await issueCertificate({
      subject: "CN=future, O=Future SAS, 2.5.4.97=PSDFR-ACPR-8, C=FR",
      issuer: pki.intermediate,
      notBefore,
      qc: { psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
    });
    const clock = { now: new Date() };
    const cache = cacheOf();
    const cert = presented(Buffer.from(future.cert.rawData), "peer");
    const early = await cache.verify(cert, clock.now);
    expect(early.ok ? "ok" : early.error.reason).toBe("CERT_NOT_YET_VALID");
    clock.now = new Date(notBefore.getTime() + 61_000);
    expect((await cache.verify(cert, clock.now)).ok).toBe(true);
  });
});

describe("memory bounds of the verdict cache", () => {
  it("caches a denial compactly: the reason and a short detail, never the certificate's names", async () => {
    const cache = cacheOf();
    const denied = await cache.verify(hostile(1), new Date());
    expect(denied.ok ? "ok" : denied.error.reason).toBe("CERT_UNTRUSTED");
    if (denied.ok) return;
    expect(denied.error.detail).not.toContain("hostile-unit-");
    expect(denied.error.detail?.length).toBeLessThanOrEqual(MAX_CACHED_DETAIL_CHARS);
    // The whole entry, key included, is estimated well under a kilobyte (the names alone are 9 KB).
    expect(cache.bytes).toBeLessThan(1024);
  });

  it("is bounded in bytes as well as entries", async () => {
    const cache = cacheOf(1000, { maxBytes: 8 * 1024 });
    for (let i = 0; i < 40; i++) await cache.verify(hostile(i), new Date());
    expect(cache.bytes).toBeLessThanOrEqual(8 * 1024);
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.size).toBeLessThan(40);
    // Verified entries count against the same budget and still fit.
    const good = await cache.verify(presented(der("tpp-ai"), "peer"), new Date());
    expect(good.ok).toBe(true);
    expect(cache.bytes).toBeLessThanOrEqual(8 * 1024);
  });

  it("purges expired denials on a later cold verification, not only when the LRU evicts them", async () => {
    const cache = cacheOf(1000, { denialTtlMs: 1000 });
    const start = Date.now();
    for (let i = 0; i < 5; i++) await cache.verify(hostile(i), new Date(start));
    expect(cache.size).toBe(5);
    await cache.verify(hostile(99), new Date(start + 60_000));
    expect(cache.size).toBe(1);
  });

  it("tells the source once a certificate verified (and only then), so its decoded form may be cached", async () => {
    const cache = cacheOf();
    const told: string[] = [];
    const watched = (cert: ReturnType<typeof hostile>, name: string) => ({
      ...cert,
      chained: () => told.push(name),
    });
    await cache.verify(watched(hostile(7), "hostile"), new Date());
    await cache.verify(watched(hostile(7), "hostile"), new Date());
    await cache.verify(watched(presented(der("tpp-pi"), "peer"), "good"), new Date());
    await cache.verify(watched(presented(der("tpp-pi"), "peer"), "good"), new Date());
    expect(told).toEqual(["good", "good"]);
  });
});
