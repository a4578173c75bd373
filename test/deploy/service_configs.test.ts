import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/config.js";
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
