import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { toCheckInput } from "../../src/http/http_request.js";
import { expectOk } from "../support/expect_ok.js";

function translate(headers: IncomingHttpHeaders, line: { method?: string; url?: string } = {}) {
  return toCheckInput({
    method: line.method ?? "GET",
    url: line.url ?? "/auth",
    headers,
    remoteAddress: "127.0.0.1",
  });
}

describe("which request the HTTP mode judges", () => {
  it("reads nginx's X-Original-Method and X-Original-URI, query string included", () => {
    const input = translate({ "x-original-method": "POST", "x-original-uri": "/v1/consents?x=1" });
    expect(input.ok && [input.value.method, input.value.rawPath]).toEqual(["POST", "/v1/consents?x=1"]);
  });

  it("reads Traefik's X-Forwarded-Method and X-Forwarded-Uri", () => {
    const input = translate({ "x-forwarded-method": "DELETE", "x-forwarded-uri": "/v1/consents/1" });
    expect(input.ok && [input.value.method, input.value.rawPath]).toEqual(["DELETE", "/v1/consents/1"]);
  });

  it("falls back to the request line, as Envoy's http_service sends the original request", () => {
    const input = translate({}, { method: "PUT", url: "/v1/payments/sepa/1" });
    expect(input.ok && [input.value.method, input.value.rawPath]).toEqual(["PUT", "/v1/payments/sepa/1"]);
  });

  it("accepts both pairs when they name the same request", () => {
    const input = translate({
      "x-original-method": "GET",
      "x-original-uri": "/v1/accounts",
      "x-forwarded-method": "GET",
      "x-forwarded-uri": "/v1/accounts",
    });
    expect(input.ok && input.value.rawPath).toBe("/v1/accounts");
  });

  it("refuses two pairs that name different requests: one of them was typed by the client", () => {
    const input = translate({
      "x-original-method": "GET",
      "x-original-uri": "/public",
      "x-forwarded-method": "POST",
      "x-forwarded-uri": "/v1/payments/sepa-credit-transfers",
    });
    expect(!input.ok && input.error.reason).toBe("REQUEST_INVALID");
  });

  it.each([
    ["a URI without its method", { "x-original-uri": "/v1/accounts" }],
    ["a method without its URI", { "x-forwarded-method": "GET" }],
    ["an empty URI", { "x-original-method": "GET", "x-original-uri": "" }],
    ["a method that is not a token", { "x-original-method": "GET /x", "x-original-uri": "/v1/accounts" }],
  ])("refuses %s with REQUEST_INVALID", (_case, headers) => {
    const input = translate(headers);
    expect(!input.ok && input.error.reason).toBe("REQUEST_INVALID");
  });
});

describe("the rest of the CheckInput", () => {
  it("has no TLS of its own: the socket peer is the hop, no certificate, no SNI", () => {
    const input = translate({
      "x-original-method": "GET",
      "x-original-uri": "/v1/accounts",
      "x-request-id": "r1",
    });
    expectOk(input);
    expect(input.value.peer).toEqual({ address: "127.0.0.1", principal: undefined, certificate: undefined });
    expect(input.value.sni).toBeUndefined();
    expect(input.value.requestId).toBe("r1");
  });

  it("joins repeated header values as Envoy does, so the sources see the same thing from both edges", () => {
    const input = translate({
      "x-original-method": "GET",
      "x-original-uri": "/",
      "set-cookie": ["a=1", "b=2"],
    });
    expect(input.ok && input.value.headers.get("set-cookie")).toBe("a=1, b=2");
  });

  it("reads only headers the request has, not names the headers object inherits", () => {
    const input = translate({ "x-original-method": "GET", "x-original-uri": "/" });
    expect(input.ok && input.value.headers.get("constructor")).toBeUndefined();
    expect(input.ok && [...input.value.headers.keys()]).toEqual(["x-original-method", "x-original-uri"]);
  });
});

describe("which authority the HTTP mode judges (the signature's @authority)", () => {
  const nginx = { "x-original-method": "GET", "x-original-uri": "/v1/accounts", host: "psd2_gatekeeper" };

  it("reads nginx's X-Original-Host, not the Host of the auth request (the upstream's name)", () => {
    const input = translate({ ...nginx, "x-original-host": "api.bank.example:8443" });
    expect(input.ok && input.value.host).toBe("api.bank.example:8443");
  });

  it("reads Traefik's X-Forwarded-Host with its pair", () => {
    const input = translate({
      "x-forwarded-method": "GET",
      "x-forwarded-uri": "/v1/accounts",
      "x-forwarded-host": "api.bank.example",
      host: "gatekeeper:9192",
    });
    expect(input.ok && input.value.host).toBe("api.bank.example");
  });

  it("falls back to the Host header when the proxy sends no host of its own", () => {
    const input = translate({ host: "api.bank.example" }, { url: "/v1/accounts" });
    expect(input.ok && input.value.host).toBe("api.bank.example");
  });

  it("refuses two conventions that name different hosts: one of them was typed by the client", () => {
    const input = translate({
      ...nginx,
      "x-original-host": "api.bank.example",
      "x-forwarded-method": "GET",
      "x-forwarded-uri": "/v1/accounts",
      "x-forwarded-host": "evil.example",
    });
    expect(!input.ok && input.error.reason).toBe("REQUEST_INVALID");
  });

  it("ignores the case of host names when comparing the two conventions", () => {
    const input = translate({
      ...nginx,
      "x-original-host": "API.bank.example",
      "x-forwarded-method": "GET",
      "x-forwarded-uri": "/v1/accounts",
      "x-forwarded-host": "api.bank.example",
    });
    expect(input.ok && input.value.host).toBe("API.bank.example");
  });
});
