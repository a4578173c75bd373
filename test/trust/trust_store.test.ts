import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCertificate } from "../../src/demo/certificate_factory.js";
import { ConfigError } from "../../src/foundation/config_error.js";
import { verifyChain } from "../../src/trust/chain.js";
import { loadTrustStore } from "../../src/trust/trust_store.js";
import { clientLeaf, intermediateCa, NOW, rootCa } from "./pki_fixtures.js";

let dir: string;
let rootA: IssuedCertificate;
let rootB: IssuedCertificate;
let int: IssuedCertificate;
let leaf: IssuedCertificate;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trust-store-"));
  rootA = await rootCa("CN=Store Root A");
  rootB = await rootCa("CN=Store Root B");
  int = await intermediateCa("CN=Store Issuing CA", rootB);
  leaf = await clientLeaf("CN=tpp.example", int);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadTrustStore reads trust material", () => {
  it("loads anchors from a PEM bundle and intermediates from a directory, and verifies with them", async () => {
    const anchors = write("bundle/anchors.pem", `# QTSP roots\n${rootA.pem}\n${rootB.pem}`);
    write("ints/issuing.crt", int.pem);
    write("ints/README.txt", "not a certificate, ignored");
    const trust = loadTrustStore({ anchors, intermediates: join(dir, "ints") });
    expect(trust.anchors.map((c) => c.subject)).toEqual(["CN=Store Root A", "CN=Store Root B"]);
    expect(trust.intermediates.map((c) => c.subject)).toEqual(["CN=Store Issuing CA"]);
    const result = await verifyChain(leaf.cert, trust, { now: NOW });
    expect(result.ok && result.value.anchor.subject).toBe("CN=Store Root B");
  });

  it("loads a directory of anchors, including a DER .cer file", () => {
    write("anchor-dir/a.pem", rootA.pem);
    write("anchor-dir/b.cer", new Uint8Array(rootB.cert.rawData));
    const trust = loadTrustStore({ anchors: join(dir, "anchor-dir") });
    expect(trust.anchors.map((c) => c.subject)).toEqual(["CN=Store Root A", "CN=Store Root B"]);
    expect(Object.isFrozen(trust.anchors)).toBe(true);
  });
});

describe("loadTrustStore refuses unusable trust material with a ConfigError naming file and key", () => {
  it("refuses a missing file", () => {
    const missing = join(dir, "does-not-exist.pem");
    const error = configError(() => loadTrustStore({ anchors: missing }));
    expect(error.file).toBe(missing);
    expect(error.key).toBe("trust.anchors");
    expect(error.problem).toMatch(/ENOENT/);
  });

  it("refuses a garbage file", () => {
    const garbage = write("garbage.pem", "this is not a certificate\n");
    const error = configError(() => loadTrustStore({ anchors: rootFile(), intermediates: garbage }));
    expect(error.file).toBe(garbage);
    expect(error.key).toBe("trust.intermediates");
    expect(error.problem).toMatch(/no certificate/);
  });

  it("refuses a PEM block that does not parse as a certificate", () => {
    const bad = write(
      "bad-block.pem",
      `${rootA.pem}\n-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n`,
    );
    const error = configError(() => loadTrustStore({ anchors: bad }));
    expect(error.file).toBe(bad);
    expect(error.problem).toMatch(/PEM block #2 does not parse/);
  });

  it("refuses a PEM block that is not a CERTIFICATE", () => {
    const keyFile = write("with-key.pem", `${rootA.pem}\n${rootA.keyPem}`);
    const error = configError(() => loadTrustStore({ anchors: keyFile }));
    expect(error.problem).toMatch(/"PRIVATE KEY", expected CERTIFICATE/);
  });

  it("refuses an anchor that is not a CA, naming the caller's key", () => {
    const notCa = write("leaf-as-anchor.pem", leaf.pem);
    const error = configError(() =>
      loadTrustStore({ anchors: notCa }, { anchors: "qtsp.roots", intermediates: "x" }),
    );
    expect(error.file).toBe(notCa);
    expect(error.key).toBe("qtsp.roots");
    expect(error.problem).toMatch(/"CN=tpp.example".*is not a CA/);
  });

  it("refuses a directory without certificate files", () => {
    const empty = join(dir, "empty-dir");
    mkdirSync(empty, { recursive: true });
    write("empty-dir/notes.txt", "nothing here");
    const error = configError(() => loadTrustStore({ anchors: empty }));
    expect(error.file).toBe(empty);
    expect(error.problem).toMatch(/no \.pem, \.crt or \.cer file/);
  });
});

function rootFile(): string {
  return write("root-a.pem", rootA.pem);
}
