import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { X509Certificate } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import {
  DEMO_LIST_FILES,
  DEMO_SERVICE,
  DEMO_TERRITORY,
  DEMO_TSP,
  writeDemoLists,
} from "../../src/demo/demo_lists.js";
import { DEMO_UNLISTED_TPP, ensureDemoPki } from "../../src/demo/demo_pki.js";
import { PROJECT_ROOT } from "../../src/foundation/project_root.js";
import { type RunningService, startService } from "../../src/service.js";
import { loadMemberStateLists, verifyLotl } from "../../src/trust/trusted_lists/lotl.js";
import {
  ASI_WEBSITE_AUTHENTICATION,
  SERVICE_TYPE_CA_QC,
  STATUS_GRANTED,
} from "../../src/trust/trusted_lists/model.js";
import { readLotlSigners } from "../../src/trust/trusted_lists/runtime.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { checkClient } from "../support/ext_authz_client.js";

/**
 * The bundled demo on trusted lists: the demo PKI and lists generated as `npm start` generates them (in JS:
 * no xmlsec1, no network), the shipped config/demo.yaml run by the real service, Checks over gRPC.
 */

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "gk-demo-lists-"));
const pkiDir = join(dir, "demo", "pki");
const listsDir = join(dir, "demo", "lists");
const configFile = join(dir, "config", "demo.yaml");
let service: RunningService;

class Sink extends Writable {
  override _write(_chunk: Buffer, _encoding: string, done: () => void): void {
    done();
  }
}

const pem = (name: string): string => readFileSync(join(pkiDir, `${name}.pem`), "utf8");
const listBytes = (file: string): Uint8Array => new Uint8Array(readFileSync(join(listsDir, file)));

beforeAll(async () => {
  await ensureDemoPki(pkiDir);
  await writeDemoLists(pkiDir, listsDir);
  // The shipped file itself, beside the same relative layout (../demo, ../policies); only the ports move
  // to ephemeral ones so the test never clashes with a running demo.
  mkdirSync(join(dir, "config"));
  symlinkSync(join(PROJECT_ROOT, "policies"), join(dir, "policies"));
  const shipped = readFileSync(join(PROJECT_ROOT, "config", "demo.yaml"), "utf8");
  writeFileSync(configFile, shipped.replace(/port: \d+/g, "port: 0"));
  service = await startService({ configFile, logDestination: new Sink(), watchFiles: false });
}, 120_000);

afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the demo trusted lists", () => {
  it("verify with our strict verifier: the LOTL from the demo OJ signer, the ZZ list from its pointer", async () => {
    const signers = readLotlSigners(configFile, join(listsDir, DEMO_LIST_FILES.signers));
    const noPivots = async (location: string): Promise<Uint8Array> => {
      throw new Error(`no pivot expected: ${location}`);
    };
    const lotl = await verifyLotl(listBytes(DEMO_LIST_FILES.lotl), "lotl.xml", signers, noPivots);
    const [zz] = await loadMemberStateLists(lotl, async () => listBytes(DEMO_LIST_FILES.tl));
    if (zz === undefined || !zz.ok)
      throw new Error(`ZZ refused: ${zz?.ok === false ? zz.error.message : "none"}`);
    expect(zz.territory).toBe(DEMO_TERRITORY);
    const [tsp] = zz.list.providers;
    const [svc] = tsp?.services ?? [];
    expect([tsp?.name, svc?.current.name, svc?.current.type, svc?.current.status]).toEqual([
      DEMO_TSP,
      DEMO_SERVICE,
      SERVICE_TYPE_CA_QC,
      STATUS_GRANTED,
    ]);
    expect(svc?.current.additionalServiceInformation).toEqual([ASI_WEBSITE_AUTHENTICATION]);
    const issuingCa = new X509Certificate(pem("intermediates"));
    expect(svc?.identity.certificates.map((c) => Buffer.from(c.rawData))).toEqual([
      Buffer.from(issuingCa.rawData),
    ]);
  });

  const xmlsec1 = spawnSync("xmlsec1", ["--version"]).status === 0;
  it.skipIf(!xmlsec1 && process.env.CI === undefined)(
    "are standard XML-DSig: xmlsec1, an independent implementation, verifies the JS signatures too",
    async () => {
      const signers = readLotlSigners(configFile, join(listsDir, DEMO_LIST_FILES.signers));
      const lotl = await verifyLotl(listBytes(DEMO_LIST_FILES.lotl), "lotl.xml", signers, async () => {
        throw new Error("no pivot");
      });
      const tlSigner = lotl.pointers.find((p) => p.territory === DEMO_TERRITORY)?.certificates[0];
      writeFileSync(join(dir, "tl-signer.pem"), tlSigner?.toString("pem") ?? "");
      const verify = (cert: string, file: string) =>
        run("xmlsec1", [
          "--verify",
          "--pubkey-cert-pem",
          cert,
          "--id-attr:Id",
          "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
          join(listsDir, file),
        ]);
      await expect(
        verify(join(listsDir, DEMO_LIST_FILES.signers), DEMO_LIST_FILES.lotl),
      ).resolves.toBeDefined();
      await expect(verify(join(dir, "tl-signer.pem"), DEMO_LIST_FILES.tl)).resolves.toBeDefined();
    },
  );
});

describe("npm start's config/demo.yaml on the demo lists", () => {
  async function reason(tpp: string | undefined, method: string, path: string): Promise<string> {
    const client = checkClient(service.grpcPort);
    try {
      const response = await client.check(
        checkRequest({ method, path, ...(tpp === undefined ? {} : { certPem: pem(tpp) }) }),
      );
      return response.status.code === 0 ? "ALLOW" : (headerValue(response, "x-authz-reason") ?? "?");
    } finally {
      client.close();
    }
  }

  it("trusts the lists alone (no trust.anchors) and is ready from the copies on disk", async () => {
    const trust = loadConfig(configFile, {}).trust;
    expect([trust.anchors, trust.trustedLists?.cacheDir]).toEqual([undefined, listsDir]);
    expect((await fetch(`http://127.0.0.1:${service.opsPort}/readyz`)).status).toBe(200);
  });

  it("admits the demo TPPs of the listed QTSP and refuses a QWAC from a CA on no list", async () => {
    expect(await reason("tpp-ai", "GET", "/v1/accounts")).toBe("ALLOW");
    expect(await reason("tpp-pi", "POST", "/v1/payments/sepa-credit-transfers")).toBe("ALLOW");
    expect(await reason("tpp-all", "GET", "/v1/accounts")).toBe("ALLOW");
    expect(await reason(DEMO_UNLISTED_TPP, "GET", "/v1/accounts")).toBe("CERT_ISSUER_NOT_LISTED");
  });

  it("keeps the tour's other refusals: expired, QSealC, wrong role", async () => {
    expect(await reason("tpp-expired", "GET", "/v1/accounts")).toBe("CERT_EXPIRED");
    expect(await reason("tpp-qseal", "GET", "/v1/accounts")).toBe("CERT_NOT_QWAC");
    expect(await reason("tpp-pi", "GET", "/v1/accounts")).toBe("ROLE_NOT_ALLOWED");
  });
});
