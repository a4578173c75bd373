import { beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../src/demo/demo_pki.js";
import { issueCertificate, psd2Roles } from "../src/pki/factory.js";
import { presented } from "../src/source/presented_certificate.js";
import { trustStoreFromCertificates } from "../src/trust/trust_store.js";
import { VerifiedCertificates } from "../src/verified_certificates.js";

let pki: DemoPki;
beforeAll(async () => {
  pki = await createDemoPki();
});

function cacheOf(maxEntries = 100): VerifiedCertificates {
  return new VerifiedCertificates({
    trust: trustStoreFromCertificates([pki.root.cert], [pki.intermediate.cert]),
    qwac: { acceptEseal: false },
    headerPrefix: "x-tpp-",
    maxEntries,
    denialTtlMs: 60_000,
  });
}

const der = (name: keyof DemoPki["tpps"]) => Buffer.from(pki.tpps[name].cert.rawData);

describe("the parse + chain cache", () => {
  it("answers a repeat from the cache: the very same verified object, not a re-verification", async () => {
    const cache = cacheOf();
    const first = await cache.verify(presented(der("tpp-ai"), "peer"), new Date());
    const second = await cache.verify(presented(der("tpp-ai"), "peer"), new Date());
    expect(first.ok && second.ok).toBe(true);
    if (first.ok && second.ok) expect(second.value).toBe(first.value);
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
    expect(later.ok).toBe(false);
    if (!later.ok) expect(later.denial.reason).toBe("CERT_EXPIRED");
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
    expect(early.ok ? "ok" : early.denial.reason).toBe("CERT_NOT_YET_VALID");
    clock.now = new Date(notBefore.getTime() + 61_000);
    expect((await cache.verify(cert, clock.now)).ok).toBe(true);
  });
});
