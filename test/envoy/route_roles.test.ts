/**
 * Envoy's `tpp_roles` context extension, as the shipped envoy/envoy.yaml sets it, over gRPC with the
 * shipped Berlin Group policy: the extension replaces the roles of the rule a request matches, and the
 * policy still decides which methods and paths exist (default deny).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { at, isTree, list, named, readText, readYaml, type Tree, tree } from "../deploy/support.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { type RunningGatekeeper, startGatekeeper } from "../support/gatekeeper.js";

const config = readYaml("envoy/envoy.yaml");
const listener = named(at(config, "static_resources", "listeners"), "psd2_mtls");
const chain = tree(list(listener.filter_chains, "filter_chains")[0], "first filter chain");
const hcm = tree(
  at(named(chain.filters, "envoy.filters.network.http_connection_manager"), "typed_config"),
  "hcm",
);
const routes = list(at(hcm, "route_config", "virtual_hosts", 0, "routes"), "routes").map((route) =>
  tree(route, "route"),
);

/** Envoy's first-match route selection for the two matchers the shipped file uses. */
function routeMatches(route: Tree, path: string): boolean {
  const match = tree(route.match, "route match");
  const pathOnly = path.split("?")[0] ?? path;
  if (typeof match.path_separated_prefix === "string") {
    const prefix = match.path_separated_prefix;
    return pathOnly === prefix || pathOnly.startsWith(`${prefix}/`);
  }
  if (typeof match.prefix === "string") return path.startsWith(match.prefix);
  throw new Error(`the test does not know the matcher ${JSON.stringify(match)}`);
}

/** The context_extensions Envoy sends for `path`, read from the shipped file. */
function extensionsFor(path: string): Record<string, string> {
  const route = routes.find((candidate) => routeMatches(candidate, path));
  if (route === undefined) throw new Error(`no route of envoy.yaml matches ${path}`);
  const extensions = at(
    route,
    "typed_per_filter_config",
    "envoy.filters.http.ext_authz",
    "check_settings",
    "context_extensions",
  );
  if (!isTree(extensions)) return {};
  return Object.fromEntries(Object.entries(extensions).map(([key, value]) => [key, String(value)]));
}

let pki: DemoPki;
let gk: RunningGatekeeper;

beforeAll(async () => {
  pki = await createDemoPki();
  gk = await startGatekeeper({
    anchors: [pki.root.cert],
    intermediates: [pki.intermediate.cert],
    policyYaml: readText("policies/berlin-group.yaml"),
  });
});

afterAll(async () => {
  await gk?.close();
});

async function decide(tpp: keyof DemoPki["tpps"], method: string, path: string) {
  const response = await gk.check(
    checkRequest({ method, path, certPem: pki.tpps[tpp].pem, contextExtensions: extensionsFor(path) }),
  );
  return { code: response.status.code, reason: headerValue(response, "x-authz-reason") };
}

describe("the shipped envoy.yaml sets tpp_roles where the test expects it", () => {
  it("sends PSP_IC under /v1/funds-confirmations, PSP_PI under /v1/payments, nothing elsewhere", () => {
    expect(extensionsFor("/v1/funds-confirmations")).toEqual({ tpp_roles: "PSP_IC" });
    expect(extensionsFor("/v1/payments/sepa-credit-transfers")).toEqual({ tpp_roles: "PSP_PI" });
    expect(extensionsFor("/v1/accounts")).toEqual({});
  });
});

describe("tpp_roles replaces the roles only: the policy still decides which methods and paths exist", () => {
  const denied: [keyof DemoPki["tpps"], string, string][] = [
    ["tpp-ic", "DELETE", "/v1/funds-confirmations"],
    ["tpp-ic", "GET", "/v1/funds-confirmations"],
    ["tpp-ic", "PUT", "/v1/funds-confirmations/anything"],
    ["tpp-ic", "POST", "/v1/funds-confirmations/anything/else"],
    ["tpp-pi", "PATCH", "/v1/payments/sepa-credit-transfers/1234"],
    ["tpp-pi", "OPTIONS", "/v1/payments/sepa-credit-transfers"],
    ["tpp-pi", "HEAD", "/v1/payments/sepa-credit-transfers/1234/status"],
    // The payment product segment is required by the policy: '/v1/payments' alone is no route.
    ["tpp-pi", "POST", "/v1/payments"],
  ];
  for (const [tpp, method, path] of denied) {
    it(`denies ${tpp} ${method} ${path} with ROUTE_NOT_ALLOWED`, async () => {
      const result = await decide(tpp, method, path);
      expect(result.code).not.toBe(0);
      expect(result.reason).toBe("ROUTE_NOT_ALLOWED");
    });
  }

  const allowed: [keyof DemoPki["tpps"], string, string][] = [
    ["tpp-ic", "POST", "/v1/funds-confirmations"],
    ["tpp-pi", "POST", "/v1/payments/sepa-credit-transfers"],
    ["tpp-pi", "GET", "/v1/payments/sepa-credit-transfers/1234/status"],
    ["tpp-pi", "DELETE", "/v1/payments/sepa-credit-transfers/1234"],
    ["tpp-pi", "PUT", "/v1/payments/sepa-credit-transfers/1234/authorisations/5678"],
    ["tpp-ai", "GET", "/v1/accounts/1/balances"],
  ];
  for (const [tpp, method, path] of allowed) {
    it(`allows ${tpp} ${method} ${path}`, async () => {
      expect(await decide(tpp, method, path)).toEqual({ code: 0, reason: undefined });
    });
  }

  it("still enforces the route's roles on a route the policy has: an AI TPP may not confirm funds", async () => {
    expect((await decide("tpp-ai", "POST", "/v1/funds-confirmations")).reason).toBe("ROLE_NOT_ALLOWED");
    expect((await decide("tpp-ic", "POST", "/v1/payments/sepa-credit-transfers")).reason).toBe(
      "ROLE_NOT_ALLOWED",
    );
  });
});
