import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { AuthorizationServer } from "../../src/envoy/server.js";
import type { Gatekeeper } from "../../src/pipeline/gatekeeper.js";
import { type CheckRequestObject, checkRequest, headerValue } from "../support/check_request.js";
import {
  type CheckClient,
  checkClient,
  decodeCheckResponse,
  encodeCheckRequest,
} from "../support/ext_authz_client.js";
import { createGatekeeper } from "../support/gatekeeper.js";

const POLICY = [
  "version: 1",
  "rules:",
  "  - id: accounts",
  "    methods: [GET]",
  "    path: /v1/accounts",
  "    roles: [PSP_AI]",
  "  - id: payments",
  "    methods: [POST]",
  "    path: /v1/payments/*",
  "    roles: [PSP_PI]",
].join("\n");

let pki: DemoPki;
let enforcing: Gatekeeper;
let server: AuthorizationServer;
let client: CheckClient;

beforeAll(async () => {
  pki = await createDemoPki();
  enforcing = gatekeeperWith("x-tpp-", "enforce");
  server = new AuthorizationServer({ gatekeeper: enforcing, logger: pino({ level: "silent" }) });
  const port = await server.listen("127.0.0.1", 0);
  client = checkClient(port);
});

afterAll(async () => {
  client.close();
  await server.stop(1000);
});

function gatekeeperWith(headerPrefix: string, mode: "enforce" | "dry-run"): Gatekeeper {
  return createGatekeeper({
    anchors: [pki.root.cert],
    intermediates: [pki.intermediate.cert],
    policyYaml: POLICY,
    headerPrefix,
    mode,
  }).gatekeeper;
}

/** Check over loopback returning the raw response bytes, and a decoder with the project's protos. */
function checkBytes(request: CheckRequestObject): Promise<Buffer> {
  return client.checkBytes(encodeCheckRequest(request));
}

const decode = decodeCheckResponse;

const accounts = (tpp: keyof DemoPki["tpps"], headers: Record<string, string> = {}): CheckRequestObject =>
  checkRequest({ path: "/v1/accounts", certPem: pki.tpps[tpp].pem, headers });
/** A route tpp-ai's roles do not cover (payments need PSP_PI). */
const payment = (tpp: keyof DemoPki["tpps"]): CheckRequestObject =>
  checkRequest({ method: "POST", path: "/v1/payments/sepa-credit-transfers", certPem: pki.tpps[tpp].pem });

describe("encoded allow answers, reused for a returning TPP", () => {
  it("answers a returning TPP with exactly the bytes it encoded the first time", async () => {
    const first = await checkBytes(accounts("tpp-ai"));
    const second = await checkBytes(accounts("tpp-ai"));
    expect(second.equals(first)).toBe(true);
    const response = decode(second);
    expect(response.status.code).toBe(0);
    expect(headerValue(response, "x-tpp-organization-id")).toBe("PSDFR-ACPR-10001");
    expect(response.dynamic_metadata?.fields.tpp_id).toMatchObject({ stringValue: "PSDFR-ACPR-10001" });
  });

  it("never gives one TPP's answer to another", async () => {
    for (let round = 0; round < 3; round++) {
      for (const [tpp, id] of [
        ["tpp-ai", "PSDFR-ACPR-10001"],
        ["tpp-all", "PSDBE-NBB-0123.456.789"],
      ] as const) {
        const response = decode(await checkBytes(accounts(tpp)));
        expect(headerValue(response, "x-tpp-organization-id")).toBe(id);
        expect(response.dynamic_metadata?.fields.tpp_id).toMatchObject({ stringValue: id });
      }
    }
  });

  it("still strips a spoofed identity header after the plain answer was cached, and does not keep it", async () => {
    await checkBytes(accounts("tpp-ai"));
    const spoofed = decode(await checkBytes(accounts("tpp-ai", { "x-tpp-admin": "yes" })));
    expect(spoofed.ok_response?.headers_to_remove).toEqual(["x-tpp-admin"]);
    const plain = decode(await checkBytes(accounts("tpp-ai")));
    expect(plain.ok_response?.headers_to_remove ?? []).toEqual([]);
  });

  it("encodes denials fresh: a cached allow does not answer a route the TPP may not use", async () => {
    await checkBytes(accounts("tpp-ai"));
    const denied = decode(await checkBytes(payment("tpp-ai")));
    expect(denied.status.code).not.toBe(0);
    expect(denied.dynamic_metadata?.fields.reason).toMatchObject({ stringValue: "ROLE_NOT_ALLOWED" });
  });

  it("answers from the new settings after a reload, and marks a dry-run waiver every time", async () => {
    const before = decode(await checkBytes(accounts("tpp-ai")));
    expect(headerValue(before, "x-tpp-organization-id")).toBe("PSDFR-ACPR-10001");
    const previous = enforcing.swap(gatekeeperWith("x-psd2-", "dry-run").current());
    try {
      const after = decode(await checkBytes(accounts("tpp-ai")));
      expect(headerValue(after, "x-tpp-organization-id")).toBeUndefined();
      expect(headerValue(after, "x-psd2-organization-id")).toBe("PSDFR-ACPR-10001");
      for (let round = 0; round < 2; round++) {
        const waived = decode(await checkBytes(payment("tpp-ai")));
        expect(waived.status.code).toBe(0);
        expect(headerValue(waived, "x-psd2-dry-run-deny")).toBe("ROLE_NOT_ALLOWED");
      }
      const plain = decode(await checkBytes(accounts("tpp-ai")));
      expect(headerValue(plain, "x-psd2-dry-run-deny")).toBeUndefined();
    } finally {
      enforcing.swap(previous);
    }
  });
});
