import { beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../src/demo/demo_pki.js";
import type { CheckInput } from "../src/foundation/check_input.js";
import { createGatekeeper } from "./support/gatekeeper.js";

const POLICY = [
  "version: 1",
  "rules:",
  "  - { id: accounts, methods: [GET], path: /v1/accounts, roles: [PSP_AI] }",
].join("\n");

let pki: DemoPki;
beforeAll(async () => {
  pki = await createDemoPki();
});

function input(pem: string, rawPath = "/v1/accounts"): CheckInput {
  return {
    requestId: "r-1",
    method: "GET",
    rawPath,
    host: "api.bank.example",
    headers: new Map(),
    peer: { address: "127.0.0.1", principal: undefined, certificate: encodeURIComponent(pem) },
    sni: undefined,
    contextExtensions: {},
  };
}

describe("Gatekeeper.check", () => {
  it("waits only on first sight of a certificate: a returning TPP is answered in the same turn", async () => {
    const { gatekeeper } = createGatekeeper({
      anchors: [pki.root.cert],
      intermediates: [pki.intermediate.cert],
      policyYaml: POLICY,
    });
    const pem = pki.tpps["tpp-ai"].pem;
    const first = gatekeeper.check(input(pem));
    expect(first).toBeInstanceOf(Promise);
    expect((await first).decision.allowed).toBe(true);
    const warm = gatekeeper.check(input(pem));
    expect(warm).not.toBeInstanceOf(Promise);
    expect("decision" in warm && warm.decision.allowed).toBe(true);
    // A denial for a returning TPP comes at once too, from the same cached verdict.
    const refused = gatekeeper.check(input(pem, "/v1/payments"));
    expect("decision" in refused && !refused.decision.allowed && refused.decision.reason).toBe(
      "ROUTE_NOT_ALLOWED",
    );
  });
});
