/**
 * Hot reload from Kubernetes volumes: the config and policy in one ConfigMap, the trust in another, the
 * forwarded-signature key in a Secret, each updated exactly as the kubelet does it (test/support/
 * kubelet_volume.ts). The service must reload by itself and keep the last good set when a version is broken.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/demo/certificate_factory.js";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { type RunningService, startService } from "../../src/service.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { type CheckClient, checkClient } from "../support/ext_authz_client.js";
import { KubeletVolume } from "../support/kubelet_volume.js";

const dir = mkdtempSync(join(tmpdir(), "gk-kubelet-"));

class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split("\n"))
      if (line.trim() !== "") this.lines.push(JSON.parse(line));
    done();
  }

  count(message: string): number {
    return this.lines.filter((line) => line.msg === message).length;
  }
}

const RELOADED = "configuration reloaded";
const REJECTED = "reload rejected; keeping the last good configuration";

function policy(accountRoles: string): string {
  return `version: 1\nrules:\n  - { id: accounts, methods: [GET], path: /v1/accounts/**, roles: [${accountRoles}] }\n`;
}

function config(policyFile: string, trustDir: string, keyFile: string): string {
  return [
    "listen: { host: 127.0.0.1, port: 0 }",
    "metrics: { host: 127.0.0.1, port: 0 }",
    `trust: { anchors: ${trustDir}/anchors.pem, intermediates: ${trustDir}/intermediates.pem }`,
    `policy: ${policyFile}`,
    "revocation: { enabled: false }",
    "log: { level: info }",
    "trustedHops:",
    "  - cidrs: [127.0.0.1/32]",
    "    signature:",
    `      keys: [{ keyid: edge-1, alg: hmac-sha256, file: ${keyFile} }]`,
  ].join("\n");
}

const secret = (): string => `${randomBytes(32).toString("base64")}\n`;

let pki: DemoPki;
let otherRoot: string;
let configMap: KubeletVolume;
let trust: KubeletVolume;
let keys: KubeletVolume;
let service: RunningService;
let client: CheckClient;
const log = new Lines();

beforeAll(async () => {
  pki = await createDemoPki();
  otherRoot = (await issueCertificate({ subject: "CN=Other QTSP Root, O=Other", isCa: true })).pem;
  trust = new KubeletVolume(join(dir, "trust"), {
    "anchors.pem": `${pki.root.pem}\n${otherRoot}`,
    "intermediates.pem": pki.intermediate.pem,
  });
  keys = new KubeletVolume(join(dir, "keys"), { "edge.key": secret() });
  configMap = new KubeletVolume(join(dir, "config"), {
    "config.yaml": config("policy.yaml", trust.dir, keys.path("edge.key")),
    "policy.yaml": policy("PSP_AI"),
  });
  service = await startService({
    configFile: configMap.path("config.yaml"),
    logDestination: log,
    watchFiles: true,
  });
  client = checkClient(service.grpcPort);
});

afterAll(async () => {
  client?.close();
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Bounded: at most 200 x 50 ms for the debounced reload to be logged. */
async function logged(message: string, count: number): Promise<void> {
  for (let i = 0; i < 200 && log.count(message) < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(log.count(message), `"${message}" logged ${count} time(s)`).toBe(count);
}

async function reasonFor(tpp: keyof DemoPki["tpps"]): Promise<string | undefined> {
  const response = await client.check(checkRequest({ path: "/v1/accounts", certPem: pki.tpps[tpp].pem }));
  return response.status.code === 0 ? "allowed" : headerValue(response, "x-authz-reason");
}

// One service through a sequence of updates, in order: each step starts from the state the last one left.
describe("a Kubernetes ConfigMap or Secret update (a ..data symlink swap) reloads by itself", () => {
  it("starts with the policy and trust of the first version", async () => {
    expect(await reasonFor("tpp-ai")).toBe("allowed");
    expect(await reasonFor("tpp-pi")).toBe("ROLE_NOT_ALLOWED");
  });

  it("reloads the policy when its ConfigMap is updated", async () => {
    const reloads = log.count(RELOADED);
    configMap.update({
      "config.yaml": config("policy.yaml", trust.dir, keys.path("edge.key")),
      "policy.yaml": policy("PSP_PI"),
    });
    await logged(RELOADED, reloads + 1);
    expect(await reasonFor("tpp-pi")).toBe("allowed");
    expect(await reasonFor("tpp-ai")).toBe("ROLE_NOT_ALLOWED");
  });

  it("keeps the last good policy when the new version is broken, and reloads once it is fixed", async () => {
    const reloads = log.count(RELOADED);
    const rejections = log.count(REJECTED);
    configMap.update({
      "config.yaml": config("policy.yaml", trust.dir, keys.path("edge.key")),
      "policy.yaml": policy("PSP_NOPE"),
    });
    await logged(REJECTED, rejections + 1);
    expect(log.lines.findLast((line) => line.msg === REJECTED)).toMatchObject({
      file: configMap.path("policy.yaml"),
      key: "rules.0.roles.0",
    });
    expect(await reasonFor("tpp-pi")).toBe("allowed");
    configMap.update({
      "config.yaml": config("policy.yaml", trust.dir, keys.path("edge.key")),
      "policy.yaml": policy("PSP_AI,PSP_PI"),
    });
    await logged(RELOADED, reloads + 1);
    expect(await reasonFor("tpp-ai")).toBe("allowed");
  });

  it("reloads the config file itself: a new version naming another policy file", async () => {
    const reloads = log.count(RELOADED);
    configMap.update({
      "config.yaml": config("policy-v2.yaml", trust.dir, keys.path("edge.key")),
      "policy.yaml": policy("PSP_AI,PSP_PI"),
      "policy-v2.yaml": policy("PSP_IC"),
    });
    await logged(RELOADED, reloads + 1);
    expect(await reasonFor("tpp-ai")).toBe("ROLE_NOT_ALLOWED");
    expect(await reasonFor("tpp-ic")).toBe("allowed");
  });

  it("reloads the signature key from its Secret, and keeps the last good key when the new one is unusable", async () => {
    const reloads = log.count(RELOADED);
    const rejections = log.count(REJECTED);
    keys.update({ "edge.key": secret() });
    await logged(RELOADED, reloads + 1);
    keys.update({ "edge.key": "c2hvcnQ=\n" });
    await logged(REJECTED, rejections + 1);
    expect(log.lines.findLast((line) => line.msg === REJECTED)).toMatchObject({
      key: "trustedHops.0.signature.keys.0.file",
    });
    expect(await reasonFor("tpp-ic")).toBe("allowed");
    // The whole set is loaded as one: nothing else reloads until the key is usable again.
    keys.update({ "edge.key": secret() });
    await logged(RELOADED, reloads + 2);
  });

  it("keeps the last good config when the config file of the new version is not YAML", async () => {
    const rejections = log.count(REJECTED);
    const reloads = log.count(RELOADED);
    const good = config("policy-v2.yaml", trust.dir, keys.path("edge.key"));
    configMap.update({
      "config.yaml": "listen: [",
      "policy.yaml": policy("PSP_AI"),
      "policy-v2.yaml": policy("PSP_IC"),
    });
    await logged(REJECTED, rejections + 1);
    expect(log.lines.findLast((line) => line.msg === REJECTED)).toMatchObject({
      file: configMap.path("config.yaml"),
    });
    expect(await reasonFor("tpp-ic")).toBe("allowed");
    configMap.update({
      "config.yaml": good,
      "policy.yaml": policy("PSP_AI"),
      "policy-v2.yaml": policy("PSP_IC"),
    });
    await logged(RELOADED, reloads + 1);
  });

  it("keeps the last good trust when the new anchors file holds no certificate", async () => {
    const rejections = log.count(REJECTED);
    trust.update({ "anchors.pem": "not a certificate\n", "intermediates.pem": pki.intermediate.pem });
    await logged(REJECTED, rejections + 1);
    expect(await reasonFor("tpp-ic")).toBe("allowed");
  });

  it("stops admitting a QTSP's TPPs once the trust ConfigMap no longer lists its root", async () => {
    const reloads = log.count(RELOADED);
    trust.update({ "anchors.pem": otherRoot, "intermediates.pem": pki.intermediate.pem });
    await logged(RELOADED, reloads + 1);
    expect(await reasonFor("tpp-ic")).toBe("CERT_UNTRUSTED");
  });
});
