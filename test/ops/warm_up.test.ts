import { describe, expect, it } from "vitest";
import { warmUp } from "../../src/ops/warm_up.js";
import type { FetchFunction } from "../../src/revocation/http_fetch.js";

describe("the start-up warm-up", () => {
  it("exercises the HTTP client against its own loopback server only, every signature path, and the pipeline", async () => {
    const asked: string[] = [];
    const recording: FetchFunction = (url, init) => {
      asked.push(`${init.method} ${url}`);
      return fetch(url, init);
    };
    const report = await warmUp(recording);
    expect(report.fetches).toBe(3);
    // Three exchanges warming the client, then one OCSP request per warm-up QWAC (RSA, P-256, P-384 CAs).
    expect(asked).toHaveLength(6);
    for (const request of asked)
      expect(request).toMatch(/^(GET|POST) http:\/\/127\.0\.0\.1:\d+\/(warm-up|ocsp)$/);
    // RSA PKCS#1 v1.5, P-256, P-384 and RSA-PSS, each on the path and on the OCSP verification code.
    expect(report.signatures).toBe(8);
    expect(report.checks).toBeGreaterThanOrEqual(100);
    // The revocation client ran end to end: request, fetch, parse, signature check, "good".
    expect(report.ocspGood).toBe(6);
  });

  it("counts a fetch that fails as not warmed, without throwing", async () => {
    const failing: FetchFunction = () => Promise.reject(new TypeError("fetch failed"));
    const report = await warmUp(failing);
    expect(report.fetches).toBe(0);
    expect(report.signatures).toBe(8);
    expect(report.ocspGood).toBe(0);
  });
});
