import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCertificate } from "../../src/demo/certificate_factory.js";
import { verifyChain } from "../../src/trust/chain.js";
import { trustStoreFromCertificates } from "../../src/trust/trust_store.js";
import { clientLeaf, intermediateCa, NOW, rootCa } from "./pki_fixtures.js";

/**
 * The same chains through `openssl verify` at the same instant, so the verdicts of this code are checked
 * against an independent implementation rather than against itself.
 */
let dir: string;
let root: IssuedCertificate;
let int: IssuedCertificate;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trust-openssl-"));
  root = await rootCa("CN=Agreement Root, O=QTSP", { keyAlg: "RSA-2048" });
  int = await intermediateCa("CN=Agreement Issuing CA, O=QTSP", root, { keyAlg: "P-384" });
  writeFileSync(join(dir, "root.pem"), root.pem);
  writeFileSync(join(dir, "int.pem"), int.pem);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs to completion (no process outlives the call); -attime pins openssl's clock to NOW. */
function opensslVerify(leafPem: string, untrusted: string[] = ["int.pem"]): { ok: boolean; output: string } {
  writeFileSync(join(dir, "leaf.pem"), leafPem);
  const attime = String(Math.floor(NOW.getTime() / 1000));
  const args = ["verify", "-attime", attime, "-purpose", "sslclient", "-x509_strict", "-CAfile", "root.pem"];
  for (const file of untrusted) args.push("-untrusted", file);
  const run = spawnSync("openssl", [...args, "leaf.pem"], { cwd: dir, encoding: "utf8", timeout: 10_000 });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

describe("verdicts agree with openssl verify", () => {
  it("a chain this code accepts, openssl accepts too", async () => {
    const leaf = await clientLeaf("CN=tpp.example, O=Example TPP", int, { keyAlg: "P-256" });
    const ours = await verifyChain(leaf.cert, trustStoreFromCertificates([root.cert], [int.cert]), {
      now: NOW,
    });
    expect(ours.ok).toBe(true);
    const openssl = opensslVerify(leaf.pem);
    expect(openssl.output).toMatch(/leaf\.pem: OK/);
    expect(openssl.ok).toBe(true);
  });

  it("a leaf from a rogue same-name intermediate is rejected by both", async () => {
    const rogueRoot = await rootCa("CN=Agreement Root, O=QTSP", { keyAlg: "RSA-2048" });
    const rogueInt = await intermediateCa("CN=Agreement Issuing CA, O=QTSP", rogueRoot, { keyAlg: "P-384" });
    const leaf = await clientLeaf("CN=tpp.example, O=Example TPP", rogueInt, { keyAlg: "P-256" });
    writeFileSync(join(dir, "rogue-int.pem"), rogueInt.pem);
    const trust = trustStoreFromCertificates([root.cert], [int.cert]);
    const ours = await verifyChain(leaf.cert, trust, { now: NOW, offered: [rogueInt.cert] });
    expect(ours.ok ? "accepted" : ours.error.reason).toBe("CERT_UNTRUSTED");
    const openssl = opensslVerify(leaf.pem, ["int.pem", "rogue-int.pem"]);
    expect(openssl.ok).toBe(false);
    expect(openssl.output).toMatch(/signature failure|unable to get local issuer certificate/);
  });

  it("a path that breaks pathLenConstraint is rejected by both", async () => {
    const tight = await rootCa("CN=Agreement Root, O=QTSP", {
      keyAlg: "RSA-2048",
      pathLen: 0,
      keys: root.keys,
    });
    writeFileSync(join(dir, "root.pem"), tight.pem);
    try {
      const leaf = await clientLeaf("CN=tpp.example, O=Example TPP", int, { keyAlg: "P-256" });
      const ours = await verifyChain(leaf.cert, trustStoreFromCertificates([tight.cert], [int.cert]), {
        now: NOW,
      });
      expect(ours.ok ? "accepted" : ours.error.reason).toBe("CERT_CHAIN_INVALID");
      const openssl = opensslVerify(leaf.pem);
      expect(openssl.ok).toBe(false);
      expect(openssl.output).toMatch(/path length constraint exceeded/);
    } finally {
      writeFileSync(join(dir, "root.pem"), root.pem);
    }
  });
});
