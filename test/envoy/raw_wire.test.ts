import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { type RunningGatekeeper, startGatekeeper } from "../support/gatekeeper.js";
import {
  encode,
  type Field,
  mapEntry,
  stringField,
  submessage,
  submessages,
  varintField,
} from "../support/protowire.js";

// Field numbers below are Envoy's upstream ones (envoy/service/auth/v3), written out by hand on purpose.
function rawCheckRequest(opts: {
  method: string;
  path: string;
  certificate?: string;
  headers: Record<string, string>;
}) {
  const peer: Field[] = [
    [
      1,
      [
        [
          1,
          [
            [2, "127.0.0.1"],
            [3, 50000],
          ],
        ],
      ],
    ], // Peer.address -> Address.socket_address{address, port_value}
    [4, "spiffe://tpp"], // Peer.principal
  ];
  if (opts.certificate !== undefined) peer.push([5, opts.certificate]); // Peer.certificate
  const headers: Field[] = Object.entries(opts.headers).map(([k, v]) => [3, mapEntry(k, v)]); // HttpRequest.headers
  const http: Field[] = [
    [1, "raw-req-1"],
    [2, opts.method],
    ...headers,
    [4, opts.path],
    [5, "api.bank.example"],
  ];
  const attributes: Field[] = [
    [1, peer], // AttributeContext.source
    [4, [[2, http]]], // AttributeContext.request -> Request.http
    [12, [[1, "api.bank.example"]]], // AttributeContext.tls_session{sni}
  ];
  return encode([[1, attributes]]); // CheckRequest.attributes
}

function headersOf(option: Buffer[]): Record<string, string> {
  return Object.fromEntries(
    option.map((hvo) => {
      const header = submessage(hvo, 1)!; // HeaderValueOption.header
      return [stringField(header, 1)!, stringField(header, 2) ?? ""]; // HeaderValue{key, value}
    }),
  );
}

let pki: DemoPki;
let gk: RunningGatekeeper;

beforeAll(async () => {
  pki = await createDemoPki();
  gk = await startGatekeeper({
    anchors: [pki.root.cert],
    intermediates: [pki.intermediate.cert],
    policyYaml: readFileSync(new URL("../../policies/berlin-group.yaml", import.meta.url), "utf8"),
  });
});
afterAll(async () => gk?.close());

describe("the wire contract with upstream field numbers", () => {
  it("decodes a hand-encoded CheckRequest and answers allow with ok_response (field 3)", async () => {
    const bytes = rawCheckRequest({
      method: "GET",
      path: "/v1/accounts?withBalance=true",
      certificate: encodeURIComponent(pki.tpps["tpp-ai"].pem),
      headers: {
        ":method": "GET",
        ":path": "/v1/accounts?withBalance=true",
        "x-tpp-roles": "spoofed",
        "x-tpp-x": "1",
      },
    });
    const response = await gk.checkRaw(bytes);
    const status = submessage(response, 1)!; // CheckResponse.status
    expect(varintField(status, 1) ?? 0).toBe(0); // google.rpc.Status.code
    expect(submessage(response, 2)).toBeUndefined(); // no denied_response
    const ok = submessage(response, 3)!; // CheckResponse.ok_response
    const set = headersOf(submessages(ok, 2)); // OkHttpResponse.headers
    expect(set["x-tpp-roles"]).toBe("PSP_AI");
    expect(set["x-tpp-organization-id"]).toBe("PSDFR-ACPR-10001");
    expect(submessages(ok, 5).map((b) => b.toString())).toEqual(["x-tpp-x"]); // headers_to_remove
    expect(submessage(response, 4)).toBeDefined(); // dynamic_metadata
  });

  it("answers a deny as gRPC OK with status.code != 0 and denied_response (field 2)", async () => {
    const bytes = rawCheckRequest({ method: "GET", path: "/v1/accounts", headers: {} });
    const response = await gk.checkRaw(bytes);
    expect(varintField(submessage(response, 1)!, 1)).toBe(16); // UNAUTHENTICATED
    const denied = submessage(response, 2)!;
    expect(varintField(submessage(denied, 1)!, 1)).toBe(401); // DeniedHttpResponse.status.code
    const headers = headersOf(submessages(denied, 2));
    expect(headers["x-authz-reason"]).toBe("CERT_MISSING");
    expect(headers["content-type"]).toBe("application/json");
    expect(JSON.parse(stringField(denied, 3)!).tppMessages[0].code).toBe("CERTIFICATE_MISSING"); // body
    expect(submessage(response, 3)).toBeUndefined();
  });

  it("answers an empty request (no attributes at all) with a deny, not an RPC error", async () => {
    const response = await gk.checkRaw(Buffer.alloc(0));
    expect(varintField(submessage(response, 1)!, 1)).not.toBe(0);
    expect(submessage(response, 2)).toBeDefined();
  });
});
