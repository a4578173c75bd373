import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  at,
  commandWorks,
  composeDefault,
  isTree,
  list,
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

const compose = readYaml("docker-compose.yml");
const services = tree(at(compose, "services"), "services");
const service = (name: string) => tree(services[name], `service ${name}`);

/** Services that run once and exit; every other one must report its health. */
const ONE_SHOT = ["pki", "loadtest"];

const COMPOSE_CLI = commandWorks("docker", ["compose", "version"])
  ? ["docker", "compose"]
  : commandWorks("docker-compose", ["version"])
    ? ["docker-compose"]
    : undefined;
if (COMPOSE_CLI === undefined) {
  console.info("neither `docker compose` nor `docker-compose` works here: `compose config` is skipped.");
}

function dependsOn(name: string): Record<string, unknown> {
  return tree(at(service(name), "depends_on") ?? {}, `${name}.depends_on`);
}

function stagesOfDockerfile(): string[] {
  return [...readText("Dockerfile").matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((match) => match[1] ?? "");
}

describe("docker-compose.yml: services", () => {
  it("has the demo stack: envoy, the gatekeeper, upstream, OCSP, PKI job, Prometheus, Grafana, load test", () => {
    expect(Object.keys(services).sort()).toEqual(
      ["authz", "envoy", "grafana", "loadtest", "ocsp", "pki", "prometheus", "upstream"].sort(),
    );
  });

  it("runs the official Envoy image", () => {
    expect(composeDefault(text(service("envoy").image, "envoy.image"))).toMatch(
      /^envoyproxy\/envoy:v\d+\.\d+/,
    );
  });

  it("builds the gatekeeper, the PKI job and the tools from stages of the Dockerfile", () => {
    const stages = stagesOfDockerfile();
    expect(at(service("authz"), "build", "target")).toBe("runtime");
    for (const [name, value] of Object.entries(services)) {
      const build = at(value, "build");
      if (build === undefined) continue;
      expect(at(build, "context"), name).toBe(".");
      expect(stages, `${name} builds a Dockerfile stage`).toContain(at(build, "target"));
    }
    expect(existsSync(repoPath("Dockerfile"))).toBe(true);
  });

  it("gives every long-running service a health check", () => {
    for (const [name, value] of Object.entries(services)) {
      if (ONE_SHOT.includes(name)) continue;
      const test = list(at(value, "healthcheck", "test"), `${name}.healthcheck.test`);
      expect(["CMD", "CMD-SHELL"], name).toContain(test[0]);
      expect(test.length, name).toBeGreaterThan(1);
    }
  });

  it("starts each service only once what it needs is ready", () => {
    expect(dependsOn("ocsp").pki).toEqual({ condition: "service_completed_successfully" });
    expect(dependsOn("authz")).toMatchObject({
      pki: { condition: "service_completed_successfully" },
      ocsp: { condition: "service_healthy" },
    });
    expect(dependsOn("envoy")).toMatchObject({
      pki: { condition: "service_completed_successfully" },
      authz: { condition: "service_healthy" },
      upstream: { condition: "service_healthy" },
    });
    expect(dependsOn("grafana").prometheus).toEqual({ condition: "service_healthy" });
    expect(dependsOn("loadtest").envoy).toEqual({ condition: "service_healthy" });
  });

  it("waits only on conditions the target can meet", () => {
    for (const name of Object.keys(services)) {
      for (const [target, spec] of Object.entries(dependsOn(name))) {
        expect(Object.keys(services), `${name} depends on ${target}`).toContain(target);
        const condition = at(spec, "condition");
        if (condition === "service_healthy") expect(at(service(target), "healthcheck"), target).toBeDefined();
        if (condition === "service_completed_successfully") expect(ONE_SHOT, target).toContain(target);
        expect(["service_started", "service_healthy", "service_completed_successfully"]).toContain(condition);
      }
    }
  });

  it("publishes ports on the loopback interface only", () => {
    const ports = Object.values(services).flatMap(
      (value) => (at(value, "ports") as unknown[] | undefined) ?? [],
    );
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    expect(service("envoy").ports).toContain("127.0.0.1:8443:8443");
  });

  it("lets only the pki job write the pki volume", () => {
    expect(tree(at(compose, "volumes"), "volumes")).toHaveProperty("pki");
    for (const [name, value] of Object.entries(services)) {
      for (const volume of (at(value, "volumes") as string[] | undefined) ?? []) {
        if (!volume.startsWith("pki:")) continue;
        expect(volume, name).toBe(name === "pki" ? "pki:/pki" : "pki:/pki:ro");
      }
    }
  });

  it("mounts only repository files that exist", () => {
    const binds = Object.values(services).flatMap((value) =>
      ((at(value, "volumes") as string[] | undefined) ?? []).filter((volume) => volume.startsWith("./")),
    );
    expect(binds.length).toBeGreaterThan(0);
    for (const bind of binds) {
      const source = bind.split(":")[0] ?? "";
      expect(existsSync(repoPath(source)), source).toBe(true);
    }
  });
});

describe("docker-compose.yml: files written by the pki job", () => {
  const dir = mkdtempSync(join(tmpdir(), "gk-compose-"));
  let produced: string[] = [];

  beforeAll(async () => {
    produced = await runPkiJob(join(dir, "pki"));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Asserts that `containerPath` in `serviceName` is on the pki volume and that the job writes it. */
  function expectFromPkiJob(serviceName: string, containerPath: string): void {
    const mounted = resolveMount(service(serviceName), containerPath);
    expect(mounted, `${serviceName}: ${containerPath}`).toMatchObject({ kind: "volume", volume: "pki" });
    if (mounted.kind === "volume")
      expect(produced, `${serviceName}: ${containerPath}`).toContain(mounted.file);
  }

  it("gives the gatekeeper the trust anchors its config names", () => {
    const mounted = resolveMount(service("authz"), "/etc/gatekeeper/config.yaml");
    expect(mounted).toEqual({ kind: "repo", file: "deploy/compose/gatekeeper.yaml" });
    const config = readYaml("deploy/compose/gatekeeper.yaml");
    expectFromPkiJob("authz", text(at(config, "trust", "anchors"), "trust.anchors"));
    expectFromPkiJob("authz", text(at(config, "trust", "intermediates"), "trust.intermediates"));
  });

  it("gives the OCSP responder and its health check the files they read", () => {
    const serve = readText("deploy/ocsp/serve.sh");
    const files = [...serve.matchAll(/"\$PKI\/([^"]+)"/g)].map((match) => `/pki/${match[1]}`);
    expect(files.length).toBe(4);
    for (const file of files) expectFromPkiJob("ocsp", file);
    const check = list(at(service("ocsp"), "healthcheck", "test"), "ocsp healthcheck").join(" ");
    for (const file of check.match(/\/pki\/\S+/g) ?? []) expectFromPkiJob("ocsp", file);
  });

  it("gives the load test the server CA and the certificate and key of every default TPP", () => {
    const command = list(at(service("loadtest"), "command"), "loadtest.command").map((arg) =>
      text(arg, "arg"),
    );
    const option = (name: string) => command[command.indexOf(name) + 1] ?? "";
    expectFromPkiJob("loadtest", option("--ca"));
    const defaults = [...readText("deploy/loadtest/loadtest.mjs").matchAll(/"(tpp-[a-z]+)=/g)].map(
      (m) => m[1],
    );
    expect(defaults.length).toBeGreaterThanOrEqual(4);
    for (const tpp of defaults) {
      expectFromPkiJob("loadtest", `${option("--pki")}/${tpp}.pem`);
      expectFromPkiJob("loadtest", `${option("--pki")}/${tpp}.key`);
    }
  });
});

describe("docker-compose.yml: monitoring", () => {
  const prometheus = readYaml("deploy/prometheus/prometheus.yml");

  it("scrapes the gatekeeper's metrics port and Envoy's stats listener", () => {
    const metricsPort = at(readYaml("deploy/compose/gatekeeper.yaml"), "metrics", "port");
    const targets = valuesOfKey(prometheus, "targets").flat();
    expect(targets).toContain(`authz:${metricsPort}`);
    expect(targets).toContain("envoy:9902");
  });

  it("loads the alert rules from deploy/prometheus/alerts.yml", () => {
    const rules = list(at(prometheus, "rule_files"), "rule_files");
    expect(rules).toContain("/etc/prometheus/alerts.yml");
    expect(resolveMount(service("prometheus"), "/etc/prometheus/alerts.yml")).toEqual({
      kind: "repo",
      file: "deploy/prometheus/alerts.yml",
    });
    // Written separately; when it is there it must be a rules file.
    if (existsSync(repoPath("deploy/prometheus/alerts.yml"))) {
      expect(list(at(readYaml("deploy/prometheus/alerts.yml"), "groups"), "groups").length).toBeGreaterThan(
        0,
      );
    }
  });

  it("provisions Grafana with the Prometheus data source and the dashboard folder it mounts", () => {
    const grafana = service("grafana");
    const provider = at(
      readYaml("deploy/grafana/provisioning/dashboards/psd2-gatekeeper.yml"),
      "providers",
      0,
    );
    const path = text(at(provider, "options", "path"), "provider path");
    expect(resolveMount(grafana, path)).toEqual({ kind: "repo", file: "deploy/grafana/dashboards" });
    const home = text(
      at(grafana, "environment", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"),
      "home dashboard",
    );
    const mounted = resolveMount(grafana, home);
    expect(mounted.kind).toBe("repo");
    if (mounted.kind === "repo") expect(existsSync(repoPath(mounted.file))).toBe(true);
    const source = at(readYaml("deploy/grafana/provisioning/datasources/prometheus.yml"), "datasources", 0);
    expect(source).toMatchObject({ type: "prometheus", uid: "prometheus", url: "http://prometheus:9090" });
    expect(resolveMount(grafana, "/etc/grafana/provisioning/datasources/prometheus.yml").kind).toBe("repo");
  });
});

describe("docker-compose.yml: the compose CLI", () => {
  it.skipIf(COMPOSE_CLI === undefined)("accepts the file (`compose config`)", async () => {
    const [command, ...args] = COMPOSE_CLI ?? [];
    const result = await run(command ?? "docker", [...args, "-f", "docker-compose.yml", "config", "--quiet"]);
    expect(result.code, result.stderr).toBe(0);
  });

  it("names the project and leaves out the obsolete top-level `version`", () => {
    expect(isTree(compose) && "version" in compose).toBe(false);
    expect(at(compose, "name")).toBe("psd2-gatekeeper");
  });
});
