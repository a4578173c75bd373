import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import type { RevocationChecker } from "../../src/revocation/revocation.js";
import { checkRequest } from "../support/check_request.js";
import { type RunningGatekeeper, startGatekeeper } from "../support/gatekeeper.js";

const POLICY =
  "version: 1\nrules:\n  - { id: accounts, methods: [GET], path: /v1/accounts, roles: [PSP_AI] }";
const GRPC_INTERNAL = 13;

let pki: DemoPki;
const running: RunningGatekeeper[] = [];
beforeAll(async () => {
  pki = await createDemoPki();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((gk) => gk.close()));
});

/** A revocation checker with a bug: its second answer fails; every other one is "good". */
function buggyChecker(how: "throws" | "rejects"): RevocationChecker {
  let calls = 0;
  return {
    check: () => {
      calls++;
      if (calls !== 2) return { status: "good", source: "ocsp" };
      const bug = new Error("bug in a revocation checker");
      if (how === "throws") throw bug;
      return Promise.reject(bug);
    },
    close: async () => {},
  };
}

async function start(revocation: RevocationChecker): Promise<RunningGatekeeper> {
  const gk = await startGatekeeper({
    anchors: [pki.root.cert],
    intermediates: [pki.intermediate.cert],
    policyYaml: POLICY,
    revocation,
  });
  running.push(gk);
  return gk;
}

describe("a bug inside a Check", () => {
  for (const how of ["throws", "rejects"] as const) {
    it(`answers an RPC error (INTERNAL) when a step ${how}, so Envoy's failure mode denies, and keeps serving`, async () => {
      const gk = await start(buggyChecker(how));
      const request = checkRequest({ path: "/v1/accounts", certPem: pki.tpps["tpp-ai"].pem });
      // The first Check verifies the certificate; the second, on the synchronous warm path, meets the bug.
      expect((await gk.check(request)).status.code).toBe(0);
      const error = await gk.check(request).then(
        () => undefined,
        (failure: { code?: number; details?: string }) => failure,
      );
      expect(error?.code).toBe(GRPC_INTERNAL);
      expect(error?.details).toBe("internal error");
      // The next Check goes through the same server and gets its answer.
      const next = await gk.check(request);
      expect(next.status.code).toBe(0);
    });
  }
});
