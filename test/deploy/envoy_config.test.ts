import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  at,
  commandWorks,
  commentAbove,
  list,
  named,
  readText,
  readYaml,
  repoPath,
  resolveMount,
  run,
  runPkiJob,
  text,
  tree,
  valuesOfKey,
} from "./support.js";

const ENVOY_FILE = "envoy/envoy.yaml";
const source = readText(ENVOY_FILE);
const config = readYaml(ENVOY_FILE);
const listener = named(at(config, "static_resources", "listeners"), "psd2_mtls");
const chains = list(listener.filter_chains, "filter_chains");
const chain = tree(chains[0], "first filter chain");
const tls = tree(at(chain, "transport_socket", "typed_config"), "DownstreamTlsContext");
const tlsParams = tree(at(tls, "common_tls_context", "tls_params"), "tls_params");
const hcm = tree(
  at(named(chain.filters, "envoy.filters.network.http_connection_manager"), "typed_config"),
  "hcm",
);
const httpFilters = list(hcm.http_filters, "http_filters");
const extAuthz = tree(at(named(httpFilters, "envoy.filters.http.ext_authz"), "typed_config"), "ext_authz");
const routes = list(at(hcm, "route_config", "virtual_hosts", 0, "routes"), "routes");

const ENVOY_BINARY = commandWorks("envoy", ["--version"]);
if (!ENVOY_BINARY) {
  console.info("envoy is not on PATH: `envoy --mode validate` is skipped; the structural checks still run.");
}

const ROLE_LIST = /^PSP_(AS|PI|AI|IC)(,PSP_(AS|PI|AI|IC))*$/;

describe("envoy/envoy.yaml: the TPP-facing TLS listener", () => {
  it("requires a client certificate", () => {
    expect(tls["@type"]).toBe(
      "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
    );
    expect(tls.require_client_certificate).toBe(true);
  });

  it("accepts TLS 1.2 as the lowest version", () => {
    expect(tlsParams.tls_minimum_protocol_version).toBe("TLSv1_2");
    expect(["TLSv1_2", "TLSv1_3"]).toContain(tlsParams.tls_maximum_protocol_version);
  });

  it("offers only ECDHE key exchange with AES-GCM for TLS 1.2", () => {
    const suites = list(tlsParams.cipher_suites, "cipher_suites");
    expect(suites.length).toBeGreaterThan(0);
    for (const suite of suites) expect(suite).toMatch(/^ECDHE-(ECDSA|RSA)-AES(128|256)-GCM-SHA(256|384)$/);
  });

  it("serves only the configured server names, with SNI read before the chain is chosen", () => {
    expect(at(chain, "filter_chain_match", "server_names")).toEqual(["api.bank.example", "localhost"]);
    expect(valuesOfKey(listener.listener_filters, "name")).toContain("envoy.filters.listener.tls_inspector");
    // No catch-all: a ClientHello without SNI or with another name finds no chain.
    for (const each of chains)
      expect(list(at(each, "filter_chain_match", "server_names"), "server_names")).not.toEqual([]);
    expect(listener.default_filter_chain).toBeUndefined();
  });

  it("validates client certificates against the QTSP bundle", () => {
    expect(at(tls, "common_tls_context", "validation_context", "trusted_ca", "filename")).toBe(
      "/pki/qtsp/ca-bundle.pem",
    );
  });

  it("completes the handshake for any certificate so the gatekeeper can answer 401 with a body, and says why", () => {
    expect(at(tls, "common_tls_context", "validation_context", "trust_chain_verification")).toBe(
      "ACCEPT_UNTRUSTED",
    );
    const why = commentAbove(source, "trust_chain_verification:");
    expect(why).toMatch(/401/);
    expect(why).toMatch(/only gate/);
  });
});

describe("envoy/envoy.yaml: the ext_authz filter", () => {
  it("asks the gatekeeper over gRPC with the v3 protocol and the peer certificate", () => {
    expect(extAuthz.transport_api_version).toBe("V3");
    expect(extAuthz.include_peer_certificate).toBe(true);
    const cluster = named(
      at(config, "static_resources", "clusters"),
      text(at(extAuthz, "grpc_service", "envoy_grpc", "cluster_name"), "cluster"),
    );
    // gRPC needs HTTP/2 to the gatekeeper.
    expect(
      at(
        cluster,
        "typed_extension_protocol_options",
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "explicit_http_config",
        "http2_protocol_options",
      ),
    ).toBeDefined();
  });

  it("denies when the gatekeeper fails, after a bounded wait", () => {
    expect(extAuthz.failure_mode_allow).toBe(false);
    const timeout = text(at(extAuthz, "grpc_service", "timeout"), "timeout");
    expect(timeout).toMatch(/^\d+(\.\d+)?s$/);
    const seconds = Number.parseFloat(timeout);
    expect(seconds).toBeGreaterThan(0.1);
    expect(seconds).toBeLessThanOrEqual(1);
    expect(at(extAuthz, "status_on_error", "code")).toBe("ServiceUnavailable");
  });

  it("runs before the router, which comes last", () => {
    const names = httpFilters.map((filter) => at(filter, "name"));
    expect(names.indexOf("envoy.filters.http.ext_authz")).toBeLessThan(
      names.indexOf("envoy.filters.http.router"),
    );
    expect(names.at(-1)).toBe("envoy.filters.http.router");
  });

  it("states route-level role requirements in context_extensions", () => {
    const roles = routes.map((route) =>
      at(
        route,
        "typed_per_filter_config",
        "envoy.filters.http.ext_authz",
        "check_settings",
        "context_extensions",
        "tpp_roles",
      ),
    );
    const stated = roles.filter((value) => value !== undefined);
    expect(stated.length).toBeGreaterThan(0);
    for (const value of stated) expect(value).toMatch(ROLE_LIST);
  });

  it("is disabled on no route (with ACCEPT_UNTRUSTED it is the only gate)", () => {
    for (const route of routes) {
      expect(at(route, "typed_per_filter_config", "envoy.filters.http.ext_authz", "disabled")).not.toBe(true);
    }
  });
});

describe("envoy/envoy.yaml: the connection manager", () => {
  it("logs the gatekeeper's dynamic metadata and no query string", () => {
    const format = tree(at(hcm, "access_log", 0, "typed_config", "log_format", "json_format"), "json_format");
    const values = Object.values(format);
    for (const key of ["decision", "reason", "tpp_id", "tpp_roles", "cert_sha256"]) {
      expect(values).toContain(`%DYNAMIC_METADATA(envoy.filters.http.ext_authz:${key})%`);
    }
    expect(values).not.toContain("%REQ(:PATH)%");
    expect(format.path).toBe("%PATH(NQ:PATH)%");
  });

  it("sets forward_client_cert_details deliberately, so a TPP-sent XFCC header never passes", () => {
    expect(hcm.forward_client_cert_details).toBe("SANITIZE");
  });

  it("hands the upstream the path the policy judged", () => {
    expect(hcm.normalize_path).toBe(true);
    expect(hcm.merge_slashes).toBe(true);
    expect(hcm.path_with_escaped_slashes_action).toBe("REJECT_REQUEST");
    expect(at(hcm, "common_http_protocol_options", "headers_with_underscores_action")).toBe("REJECT_REQUEST");
  });

  it("trusts no client-sent X-Forwarded-For at the edge", () => {
    expect(hcm.use_remote_address).toBe(true);
    expect(hcm.xff_num_trusted_hops ?? 0).toBe(0);
  });
});

describe("envoy/envoy.yaml: referenced files", () => {
  const dir = mkdtempSync(join(tmpdir(), "gk-envoy-"));
  const pkiDir = join(dir, "pki");
  let produced: string[] = [];
  const envoyService = at(readYaml("docker-compose.yml"), "services", "envoy");

  beforeAll(async () => {
    produced = await runPkiJob(pkiDir);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("names only files that the compose stack mounts from the repository or the pki job writes", () => {
    const files = valuesOfKey(config, "filename").map((value) => text(value, "filename"));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const mounted = resolveMount(envoyService, file);
      if (mounted.kind === "volume") {
        expect(mounted.volume).toBe("pki");
        expect(produced, `${file} is written by deploy/pki/generate.sh`).toContain(mounted.file);
      } else {
        expect(mounted.kind, `${file} is mounted into the envoy service`).toBe("repo");
      }
    }
    expect(resolveMount(envoyService, "/etc/envoy/envoy.yaml")).toEqual({ kind: "repo", file: ENVOY_FILE });
  });

  it.skipIf(!ENVOY_BINARY)("passes `envoy --mode validate` with the files the pki job writes", async () => {
    const local = join(dir, "envoy.yaml");
    writeFileSync(local, source.replaceAll("/pki/", `${pkiDir}/`));
    const result = await run("envoy", ["--mode", "validate", "-c", local], { cwd: repoPath() });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  });
});
