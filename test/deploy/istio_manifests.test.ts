import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  at,
  isTree,
  list,
  parseYaml,
  readText,
  readYamlDocuments,
  repoPath,
  type Tree,
  text,
  tree,
} from "./support.js";

const MANIFEST_DIR = "deploy/istio";
const files = readdirSync(repoPath(MANIFEST_DIR)).filter((file) => file.endsWith(".yaml"));
const documents = files.flatMap((file) =>
  readYamlDocuments(`${MANIFEST_DIR}/${file}`)
    .filter((document) => document !== null)
    .map((document) => ({ file, document: tree(document, file) })),
);

function ofKind(kind: string): Tree[] {
  return documents.filter(({ document }) => document.kind === kind).map(({ document }) => document);
}

function one(kind: string): Tree {
  const found = ofKind(kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Tree;
}

const deployment = one("Deployment");
const container = tree(at(deployment, "spec", "template", "spec", "containers", 0), "container");
const configMap = ofKind("ConfigMap").find((map) => at(map, "data", "config.yaml") !== undefined) ?? {};
const serviceConfig = parseYaml(
  text(at(configMap, "data", "config.yaml"), "config.yaml"),
  "ConfigMap config.yaml",
);
const service = one("Service");
const gateway = one("Gateway");
const provider = tree(
  list(at(one("IstioOperator"), "spec", "meshConfig", "extensionProviders"), "extensionProviders").find(
    (entry) => at(entry, "envoyExtAuthzGrpc") !== undefined,
  ),
  "envoyExtAuthzGrpc provider",
);
const customPolicy = tree(
  ofKind("AuthorizationPolicy").find((policy) => at(policy, "spec", "action") === "CUSTOM"),
  "CUSTOM AuthorizationPolicy",
);
const envoyFilter = one("EnvoyFilter");
const patches = list(at(envoyFilter, "spec", "configPatches"), "configPatches");

function containerPort(name: string): unknown {
  return list(container.ports, "ports").find((port) => at(port, "name") === name);
}

describe("deploy/istio: every manifest", () => {
  it("parses, and each document names its apiVersion, kind and name", () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const { file, document } of documents) {
      expect(typeof document.apiVersion, file).toBe("string");
      expect(typeof document.kind, file).toBe("string");
      expect(typeof at(document, "metadata", "name"), file).toBe("string");
    }
  });

  it("includes the gatekeeper workload, the mesh provider, the gateway and the policies", () => {
    const kinds = new Set(documents.map(({ document }) => document.kind));
    for (const kind of [
      "Deployment",
      "Service",
      "ConfigMap",
      "IstioOperator",
      "AuthorizationPolicy",
      "Gateway",
      "VirtualService",
      "EnvoyFilter",
    ]) {
      expect(kinds, kind).toContain(kind);
    }
  });
});

describe("deploy/istio: the gatekeeper Deployment", () => {
  it("runs as a non-root user with a read-only root file system and no capabilities", () => {
    expect(at(deployment, "spec", "template", "spec", "securityContext", "runAsNonRoot")).toBe(true);
    expect(at(deployment, "spec", "template", "spec", "securityContext", "runAsUser")).not.toBe(0);
    expect(at(container, "securityContext")).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("probes liveness on /healthz and readiness on /readyz, on the metrics port: not-ready is never killed", () => {
    expect(at(container, "livenessProbe", "httpGet", "path")).toBe("/healthz");
    expect(
      at(containerPort(text(at(container, "livenessProbe", "httpGet", "port"), "port")), "containerPort"),
    ).toBe(at(serviceConfig, "metrics", "port"));
    expect(at(container, "readinessProbe", "httpGet", "path")).toBe("/readyz");
    expect(
      at(containerPort(text(at(container, "readinessProbe", "httpGet", "port"), "port")), "containerPort"),
    ).toBe(at(serviceConfig, "metrics", "port"));
  });

  it("exposes the ports its configuration listens on", () => {
    expect(at(containerPort("grpc-authz"), "containerPort")).toBe(at(serviceConfig, "listen", "port"));
    expect(at(containerPort("http-metrics"), "containerPort")).toBe(at(serviceConfig, "metrics", "port"));
  });

  it("reads the config file from the ConfigMap it mounts", () => {
    const mounts = list(container.volumeMounts, "volumeMounts");
    const volumes = list(at(deployment, "spec", "template", "spec", "volumes"), "volumes");
    const configFile = text(at(container, "args", 0), "args[0]");
    const mount = mounts.find((m) => configFile.startsWith(`${at(m, "mountPath")}/`));
    const volume = volumes.find((v) => at(v, "name") === at(mount, "name"));
    expect(at(volume, "configMap", "name")).toBe(at(configMap, "metadata", "name"));
    expect(configFile.split("/").at(-1)).toBe("config.yaml");
  });

  it("refers only to ConfigMaps that are defined here or created as docs/deployment.md says", () => {
    const docs = readText("docs/deployment.md");
    const defined = ofKind("ConfigMap").map((map) => at(map, "metadata", "name"));
    const volumes = list(at(deployment, "spec", "template", "spec", "volumes"), "volumes");
    for (const volume of volumes) {
      const name = text(at(volume, "configMap", "name"), "configMap volume");
      if (!defined.includes(name))
        expect(docs, `how to create ${name}`).toMatch(new RegExp(`create configmap ${name}\\b`));
    }
  });

  it("gives in-flight Checks time to drain before the pod is killed", () => {
    const grace = Number(at(deployment, "spec", "template", "spec", "terminationGracePeriodSeconds"));
    const preStop = Number(list(at(container, "lifecycle", "preStop", "exec", "command"), "preStop").at(-1));
    expect(grace).toBeGreaterThan(preStop + Number(at(serviceConfig, "shutdown", "graceSeconds")));
  });

  it("is selected by the Service, which names the gRPC port for Istio", () => {
    const labels = tree(at(deployment, "spec", "template", "metadata", "labels"), "pod labels");
    expect(labels).toMatchObject(tree(at(service, "spec", "selector"), "selector"));
    const grpcPort = list(at(service, "spec", "ports"), "ports").find(
      (port) => at(port, "appProtocol") === "grpc",
    );
    expect(at(grpcPort, "name")).toMatch(/^grpc/);
    expect(at(grpcPort, "targetPort")).toBe("grpc-authz");
  });

  it("carries the service configuration and the policy file in its ConfigMap", () => {
    expect(Object.keys(tree(at(configMap, "data"), "data")).sort()).toEqual(["config.yaml", "policy.yaml"]);
    expect(at(serviceConfig, "policy")).toBe("policy.yaml");
  });
});

describe("deploy/istio: the mesh", () => {
  it("declares the gatekeeper as an envoyExtAuthzGrpc provider that fails closed", () => {
    const grpc = tree(provider.envoyExtAuthzGrpc, "envoyExtAuthzGrpc");
    const namespace = text(at(service, "metadata", "namespace"), "namespace");
    expect(grpc.service).toBe(`${at(service, "metadata", "name")}.${namespace}.svc.cluster.local`);
    const servicePort = list(at(service, "spec", "ports"), "ports").find(
      (port) => at(port, "appProtocol") === "grpc",
    );
    expect(grpc.port).toBe(at(servicePort, "port"));
    expect(grpc.failOpen).toBe(false);
    expect(grpc.timeout).toMatch(/^\d+(\.\d+)?s$/);
    expect(Number.parseFloat(text(grpc.timeout, "timeout"))).toBeLessThanOrEqual(1);
  });

  it("sends every request through the gateway to the provider with an AuthorizationPolicy of action CUSTOM", () => {
    expect(at(customPolicy, "spec", "provider", "name")).toBe(provider.name);
    expect(at(customPolicy, "spec", "selector", "matchLabels")).toEqual(at(gateway, "spec", "selector"));
    expect(list(at(customPolicy, "spec", "rules"), "rules").length).toBeGreaterThan(0);
  });

  it("terminates mutual TLS at the gateway, TLS 1.2 and up, ECDHE with AES-GCM", () => {
    const tls = tree(at(gateway, "spec", "servers", 0, "tls"), "gateway tls");
    expect(tls.mode).toBe("MUTUAL");
    expect(typeof tls.credentialName).toBe("string");
    expect(tls.minProtocolVersion).toBe("TLSV1_2");
    for (const suite of list(tls.cipherSuites, "cipherSuites")) {
      expect(suite).toMatch(/^ECDHE-(ECDSA|RSA)-AES(128|256)-GCM-SHA(256|384)$/);
    }
  });

  it("gets the TPP's certificate to the gatekeeper: include_peer_certificate on the gateway's ext_authz filter", () => {
    expect(at(envoyFilter, "spec", "workloadSelector", "labels")).toEqual(at(gateway, "spec", "selector"));
    const patch = patches.find((p) => at(p, "applyTo") === "HTTP_FILTER");
    expect(at(patch, "match", "context")).toBe("GATEWAY");
    expect(at(patch, "match", "listener", "filterChain", "filter", "subFilter", "name")).toBe(
      "envoy.filters.http.ext_authz",
    );
    expect(at(patch, "patch", "value", "typed_config")).toMatchObject({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
      include_peer_certificate: true,
    });
  });

  it("never forwards a TPP-sent x-forwarded-client-cert", () => {
    expect(
      at(
        one("IstioOperator"),
        "spec",
        "meshConfig",
        "defaultConfig",
        "gatewayTopology",
        "forwardClientCertDetails",
      ),
    ).toBe("SANITIZE");
  });

  it("states route-level roles on a route the VirtualService names", () => {
    const routeNames = list(at(one("VirtualService"), "spec", "http"), "http").map((route) =>
      at(route, "name"),
    );
    const routePatches = patches.filter((p) => at(p, "applyTo") === "HTTP_ROUTE");
    expect(routePatches.length).toBeGreaterThan(0);
    for (const patch of routePatches) {
      expect(routeNames).toContain(at(patch, "match", "routeConfiguration", "vhost", "route", "name"));
      const extensions = at(
        patch,
        "patch",
        "value",
        "typed_per_filter_config",
        "envoy.filters.http.ext_authz",
        "check_settings",
        "context_extensions",
      );
      expect(isTree(extensions) && extensions.tpp_roles).toMatch(/^PSP_(AS|PI|AI|IC)(,PSP_(AS|PI|AI|IC))*$/);
    }
  });

  it("lets only the ingress gateway's identity ask the gatekeeper for Checks", () => {
    const allow = tree(
      ofKind("AuthorizationPolicy").find((policy) => at(policy, "spec", "action") === "ALLOW"),
      "ALLOW policy",
    );
    const grpcRule = list(at(allow, "spec", "rules"), "rules").find((rule) =>
      JSON.stringify(at(rule, "to")).includes(`"${at(serviceConfig, "listen", "port")}"`),
    );
    expect(at(grpcRule, "from", 0, "source", "principals")).toEqual([
      "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
    ]);
    expect(at(one("PeerAuthentication"), "spec", "mtls", "mode")).toBe("STRICT");
  });
});
