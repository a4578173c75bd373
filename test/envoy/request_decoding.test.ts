import { describe, expect, it } from "vitest";
import { toCheckInput } from "../../src/envoy/check_request.js";
import { loadProtos, servedAuthorization } from "../../src/envoy/protos.js";
import type { WireCheckRequest } from "../../src/envoy/wire.js";
import type { CheckInput } from "../../src/foundation/check_input.js";

// The server decodes CheckRequests with protobufjs and skips proto-loader's toObject copy. Whatever Envoy
// sends must mean the same to the core either way: same CheckInput from the same bytes.
const standard = loadProtos().authorization.Check!;
const served = servedAuthorization(loadProtos().authorization).service.Check!;

function bothWays(request: unknown) {
  const bytes = standard.requestSerialize(request);
  return {
    standard: toCheckInput(standard.requestDeserialize(bytes) as WireCheckRequest),
    served: toCheckInput(served.requestDeserialize(bytes) as WireCheckRequest),
  };
}

const full = {
  attributes: {
    source: {
      address: { socket_address: { address: "10.0.0.7", port_value: 51234 } },
      principal: "spiffe://cluster.local/ns/istio-system/sa/ingress",
      certificate: "-----BEGIN%20CERTIFICATE-----%0AMIIB...%0A-----END%20CERTIFICATE-----%0A",
    },
    request: {
      http: {
        id: "req-1",
        method: "POST",
        path: "/v1/payments/sepa-credit-transfers?x=1",
        host: "api.bank.example",
        headers: { ":method": "POST", "X-Request-Id": "r-9", "x-tpp-roles": "PSP_AS" },
      },
    },
    context_extensions: { tpp_roles: "PSP_PI" },
    tls_session: { sni: "api.bank.example" },
  },
};

/** A request without any id gets a fresh UUID on each decoding; the two decodings agree on the rest. */
function withoutMadeId(input: CheckInput): CheckInput {
  return { ...input, requestId: "" };
}

describe("CheckRequest decoding without toObject", () => {
  it("gives the same CheckInput as proto-loader for a full request", () => {
    const { standard: expected, served: actual } = bothWays(full);
    expect(actual).toEqual(expected);
    expect(actual.peer.certificate).toBe(full.attributes.source.certificate);
    expect(actual.contextExtensions).toEqual({ tpp_roles: "PSP_PI" });
    expect(actual.headers.get("x-request-id")).toBe("r-9");
  });

  it("treats unset fields as missing: pseudo-headers stand in for empty method, path and host", () => {
    const request = {
      attributes: {
        request: {
          http: { headers: { ":method": "GET", ":path": "/v1/accounts", ":authority": "h.example" } },
        },
      },
    };
    const { standard: expected, served: actual } = bothWays(request);
    expect(withoutMadeId(actual)).toEqual(withoutMadeId(expected));
    expect([actual.method, actual.rawPath, actual.host]).toEqual(["GET", "/v1/accounts", "h.example"]);
    expect(actual.peer).toEqual({ address: undefined, principal: undefined, certificate: undefined });
    expect(actual.sni).toBeUndefined();
    expect(actual.contextExtensions).toEqual({});
  });

  it("reads raw header bytes (encode_raw_headers) the same way, repeated names joined", () => {
    const raw = (key: string, value: string) => ({ key, raw_value: Buffer.from(value, "latin1") });
    const request = {
      attributes: {
        request: {
          http: {
            method: "GET",
            path: "/v1/accounts",
            header_map: {
              headers: [raw("X-Forwarded-Client-Cert", "a"), raw("x-forwarded-client-cert", "b")],
            },
          },
        },
      },
    };
    const { standard: expected, served: actual } = bothWays(request);
    expect(withoutMadeId(actual)).toEqual(withoutMadeId(expected));
    expect(actual.headers.get("x-forwarded-client-cert")).toBe("a,b");
  });

  it("gives an empty input for an empty request, and a malformed one is refused by the decoder", () => {
    const { standard: expected, served: actual } = bothWays({});
    expect(withoutMadeId(actual)).toEqual(withoutMadeId(expected));
    expect([actual.method, actual.rawPath]).toEqual(["", ""]);
    // No X-Request-ID and no Envoy id: the edge makes one, so the log line and a denial still share one.
    expect(actual.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(() => served.requestDeserialize(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]))).toThrow();
  });
});
