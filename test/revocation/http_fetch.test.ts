import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRevocationChecker } from "../../src/revocation/checker.js";
import { revocationConfigSchema } from "../../src/revocation/config.js";
import { fetchBytes } from "../../src/revocation/http_fetch.js";
import { LoopbackServer } from "../support/openssl_ca.js";
import { PATH, type RevocationLab, startRevocationLab } from "./lab.js";

/**
 * Redirects (issue 13, item 8): a responder, or anyone on the plain-HTTP path, answering 3xx must not make
 * the service send a request anywhere else. The target is a second loopback server that counts requests.
 */

let lab: RevocationLab;
let target: LoopbackServer;

const TARGET_PATH = "/internal/admin";

beforeAll(async () => {
  lab = await startRevocationLab();
  target = await LoopbackServer.start();
  target.route(TARGET_PATH, { kind: "bytes", body: lab.crl, contentType: "application/pkix-crl" });
});

afterAll(async () => {
  await target?.close();
  await lab?.close();
});

beforeEach(() => {
  target.resetHits();
  lab.server.resetHits();
});

function redirectingRoute(status: number): string {
  const path = `/redirect/${status}`;
  lab.server.route(path, { kind: "redirect", status, location: target.url(TARGET_PATH) });
  return lab.server.url(path);
}

describe("an OCSP or CRL fetch that is answered with a redirect", () => {
  it.each([301, 302, 303, 307, 308])("fails on HTTP %i and sends nothing to the Location", async (status) => {
    const outcome = await fetchBytes(fetch, {
      url: redirectingRoute(status),
      method: "GET",
      accept: "application/pkix-crl",
      timeoutMs: 5_000,
      maxBytes: 1024 * 1024,
      signal: new AbortController().signal,
    });
    expect(outcome.ok).toBe(false);
    expect(target.hits(TARGET_PATH)).toBe(0);
  });

  it("fails even with a fetch that returns the 3xx instead of honouring redirect: error", async () => {
    const manual = (url: string, init: RequestInit) => fetch(url, { ...init, redirect: "manual" });
    const outcome = await fetchBytes(manual, {
      url: redirectingRoute(302),
      method: "POST",
      body: new Uint8Array([0x30, 0x00]),
      contentType: "application/ocsp-request",
      accept: "application/ocsp-response",
      timeoutMs: 5_000,
      maxBytes: 1024,
      signal: new AbortController().signal,
    });
    expect(outcome.ok ? "bytes" : outcome.error.code).toBe("http-status");
    expect(outcome.ok ? "" : outcome.error.detail).toMatch(/HTTP 302: redirects are refused/);
    expect(target.hits(TARGET_PATH)).toBe(0);
  });

  it("gives the checker no answer from a redirecting responder or CRL server, and the target no request", async () => {
    const issuerFingerprint = lab.subject(lab.certs.good).issuerFingerprint;
    const checker = createRevocationChecker(
      revocationConfigSchema.parse({
        timeoutMs: 5_000,
        fetchTimeoutMs: 10_000,
        issuers: [
          {
            match: { sha256: issuerFingerprint },
            ocspUrl: redirectingRoute(302),
            crlUrl: redirectingRoute(307),
          },
        ],
      }),
      { logger: { warn: () => undefined, info: () => undefined }, onEvent: () => undefined },
    );
    try {
      const status = await checker.check(lab.subject(lab.certs.good), new Date());
      expect(status.status).toBe("unavailable");
      expect(lab.server.hits("/redirect/302")).toBe(1);
      expect(lab.server.hits("/redirect/307")).toBe(1);
      expect(target.hits(TARGET_PATH)).toBe(0);
      expect(lab.server.hits(PATH.ocsp)).toBe(0);
    } finally {
      await checker.close();
    }
  });
});
