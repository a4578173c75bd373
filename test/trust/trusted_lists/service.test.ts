import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type IssuedCertificate,
  issueCertificate,
  psd2Roles,
} from "../../../src/demo/certificate_factory.js";
import { type RunningService, startService } from "../../../src/service.js";
import { checkRequest, headerValue } from "../../support/check_request.js";
import { checkClient } from "../../support/ext_authz_client.js";
import { ASI, STATUS, signedTsl } from "./tl_builder.js";

/**
 * The whole service with `trust.trustedLists`: LOTL and TL as local files (pointer locations are paths),
 * no network. First start: not ready until the background load verified the LOTL. Second start, the lists
 * gone from their locations: ready at once from the verified copies in cacheDir.
 */
const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), "gk-tl-"));
let tpp: IssuedCertificate;
const services: RunningService[] = [];

class Sink extends Writable {
  override _write(_chunk: Buffer, _encoding: string, done: () => void): void {
    done();
  }
}

beforeAll(async () => {
  const now = Date.now();
  const long = { notBefore: new Date(now - 3000 * DAY), notAfter: new Date(now + 3000 * DAY) };
  const oj = await issueCertificate({ subject: "CN=Test LOTL signer, C=EU", ...long });
  const aaSigner = await issueCertificate({ subject: "CN=AA TL signer, C=AA", ...long });
  const ca = await issueCertificate({ subject: "CN=AA QWAC CA, C=AA", isCa: true, ...long });
  const privateRoot = await issueCertificate({ subject: "CN=Private root, C=XX", isCa: true, ...long });
  tpp = await issueCertificate({
    subject: "CN=tpp, O=TPP SAS, 2.5.4.97=PSDFR-ACPR-42, C=FR",
    issuer: ca,
    notBefore: new Date(now - 10 * DAY),
    notAfter: new Date(now + 300 * DAY),
    qc: { psd2: { roles: psd2Roles("PSP_AI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
  });
  const lists = { issued: new Date(now - DAY), nextUpdate: new Date(now + 100 * DAY) };
  const lotlPath = join(dir, "eu-lotl.xml");
  const aaPath = join(dir, "AA.xml");
  writeFileSync(
    lotlPath,
    await signedTsl(
      {
        territory: "EU",
        sequence: 1,
        ...lists,
        pointers: [
          { location: lotlPath, territory: "EU", signers: [oj.cert], lotl: true },
          { location: aaPath, territory: "AA", signers: [aaSigner.cert] },
        ],
      },
      oj,
    ),
  );
  const svc = [
    {
      name: "AA QWAC",
      ca: ca.cert,
      status: STATUS("granted"),
      since: new Date(now - 2000 * DAY),
      asi: [ASI("ForWebSiteAuthentication")],
    },
  ];
  writeFileSync(
    aaPath,
    await signedTsl(
      { territory: "AA", sequence: 3, ...lists, providers: [{ name: "AA QTSP", services: svc }] },
      aaSigner,
    ),
  );
  writeFileSync(join(dir, "oj.pem"), oj.pem);
  writeFileSync(join(dir, "private-root.pem"), privateRoot.pem);
  writeFileSync(
    join(dir, "policy.yaml"),
    "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n",
  );
  writeFileSync(
    join(dir, "config.yaml"),
    [
      "listen: { host: 127.0.0.1, port: 0 }",
      "metrics: { host: 127.0.0.1, port: 0 }",
      "trust:",
      "  anchors: private-root.pem",
      "  trustedLists: { lotl: eu-lotl.xml, lotlSigners: oj.pem, cacheDir: cache }",
      "policy: policy.yaml",
      "revocation: { enabled: false }",
      "log: { level: silent }",
    ].join("\n"),
  );
}, 120_000);

afterAll(async () => {
  for (const s of services) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningService> {
  const service = await startService({
    configFile: join(dir, "config.yaml"),
    logDestination: new Sink(),
    watchFiles: false,
  });
  services.push(service);
  return service;
}

async function readyz(service: RunningService): Promise<number> {
  return (await fetch(`http://127.0.0.1:${service.opsPort}/readyz`)).status;
}

async function allowed(service: RunningService): Promise<string | undefined> {
  const client = checkClient(service.grpcPort);
  try {
    const response = await client.check(checkRequest({ path: "/v1/accounts", certPem: tpp.pem }));
    return response.status.code === 0 ? "allowed" : headerValue(response, "x-authz-reason");
  } finally {
    client.close();
  }
}

describe("the service with trust.trustedLists", () => {
  it("becomes ready once the LOTL verified, then admits a QWAC of a granted listed service", async () => {
    const service = await start();
    let status = await readyz(service);
    for (let i = 0; i < 200 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = await readyz(service);
    }
    expect(status).toBe(200);
    expect(await allowed(service)).toBe("allowed");
    await services.pop()?.stop();
  });

  it("restarts ready, with the lists gone from their locations, from the verified copies on disk", async () => {
    rmSync(join(dir, "eu-lotl.xml"));
    rmSync(join(dir, "AA.xml"));
    const service = await start();
    expect(await readyz(service)).toBe(200);
    expect(await allowed(service)).toBe("allowed");
  });
});
