import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/config.js";
import { revocationConfigSchema } from "../../src/revocation/config.js";
import { at, parseYaml, readText, readYaml, readYamlDocuments, repoPath, text, tree } from "./support.js";

/**
 * Sections the deployment files may carry ahead of the config schema, for features announced but not built
 * yet (HTTP authorization mode, forwarded certificates). The service rejects unknown keys, so every section
 * the schema knows is checked with the schema itself, and any other must be one of these.
 */
const PENDING_SECTIONS = ["http", "sources"];

function expectValidServiceConfig(config: unknown, what: string): void {
  const sections = tree(config, what);
  const known = Object.keys(configSchema.shape);
  for (const key of Object.keys(sections)) {
    if (!known.includes(key)) expect(PENDING_SECTIONS, `${what}: unknown section ${key}`).toContain(key);
  }
  const parsed = configSchema.safeParse(
    Object.fromEntries(Object.entries(sections).filter(([key]) => known.includes(key))),
  );
  expect(parsed.success, `${what}: ${parsed.error?.message}`).toBe(true);
  // Inside a container or pod, Prometheus and the probes come from outside: not the loopback default.
  expect(at(sections, "metrics", "host"), `${what}: metrics.host`).toBe("0.0.0.0");
}

describe("deploy/compose/gatekeeper.yaml", () => {
  const config = readYaml("deploy/compose/gatekeeper.yaml");

  it("is accepted by the service's config schema", () => {
    expectValidServiceConfig(config, "deploy/compose/gatekeeper.yaml");
  });

  it("listens on all container interfaces on the port Envoy's cluster points at", () => {
    expect(at(config, "listen")).toEqual({ host: "0.0.0.0", port: 9191 });
    expect(readText("envoy/envoy.yaml")).toContain("socket_address: { address: authz, port_value: 9191 }");
  });

  it("uses a policy file the image ships", () => {
    const policy = text(at(config, "policy"), "policy");
    expect(policy.startsWith("/app/")).toBe(true);
    expect(existsSync(repoPath(policy.slice("/app/".length)))).toBe(true);
    expect(readText("Dockerfile")).toContain("COPY policies ./policies");
  });

  it("asks the compose OCSP responder for the demo issuing CA", () => {
    expect(at(config, "revocation", "issuers", 0)).toEqual({
      match: { subject: "CN=Demo QTSP QWAC CA, O=Demo QTSP, C=EU" },
      ocspUrl: "http://ocsp:8080",
    });
    expect(readText("src/demo/demo_pki.ts")).toContain('subject: "CN=Demo QTSP QWAC CA, O=Demo QTSP, C=EU"');
  });
});

describe("deploy/istio ConfigMap psd2-gatekeeper-config", () => {
  const configMap = tree(
    readYamlDocuments("deploy/istio/gatekeeper.yaml").find((doc) => at(doc, "kind") === "ConfigMap"),
    "ConfigMap",
  );

  it("holds a service configuration the config schema accepts", () => {
    const config = parseYaml(text(at(configMap, "data", "config.yaml"), "config.yaml"), "config.yaml");
    expectValidServiceConfig(config, "ConfigMap config.yaml");
  });

  it("holds policies/berlin-group.yaml unchanged", () => {
    expect(at(configMap, "data", "policy.yaml")).toBe(readText("policies/berlin-group.yaml"));
  });
});

/**
 * A first sight waits up to revocation.timeoutMs for OCSP; the proxy in front gives the whole Check its
 * own timeout. The wait must end first, with room for chain and policy, or the TPP gets the proxy's 503
 * instead of the gatekeeper's answer (issue 14: the first request after a start).
 */
describe("the revocation wait fits inside the proxy's ext_authz timeout", () => {
  const MARGIN_MS = 40;
  const seconds = (value: unknown) => Number.parseFloat(text(value, "timeout")) * 1000;
  const waitOf = (config: unknown) => revocationConfigSchema.parse(at(config, "revocation") ?? {}).timeoutMs;

  it("compose: deploy/compose/gatekeeper.yaml under envoy/envoy.yaml", () => {
    const envoy = readText("envoy/envoy.yaml");
    const timeout = /envoy\.filters\.http\.ext_authz[\s\S]*?grpc_service:[\s\S]*?\btimeout: (\S+)/.exec(
      envoy,
    )?.[1];
    expect(timeout).toBeDefined();
    expect(waitOf(readYaml("deploy/compose/gatekeeper.yaml")) + MARGIN_MS).toBeLessThanOrEqual(
      seconds(timeout),
    );
  });

  it("Istio: the ConfigMap under the extension provider of mesh-config.yaml", () => {
    const configMap = readYamlDocuments("deploy/istio/gatekeeper.yaml").find(
      (doc) => at(doc, "kind") === "ConfigMap",
    );
    const config = parseYaml(text(at(configMap, "data", "config.yaml"), "config.yaml"), "config.yaml");
    const mesh = readText("deploy/istio/mesh-config.yaml");
    const timeout = /envoyExtAuthzGrpc:[\s\S]*?\btimeout: (\S+)/.exec(mesh)?.[1];
    expect(timeout).toBeDefined();
    expect(waitOf(config) + MARGIN_MS).toBeLessThanOrEqual(seconds(timeout));
  });
});
