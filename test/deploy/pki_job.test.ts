import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExtendedKeyUsageExtension, SubjectAlternativeNameExtension, X509Certificate } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EKU_OCSP_SIGNING, EKU_SERVER_AUTH } from "../../src/demo/certificate_factory.js";
import { DEMO_TPPS } from "../../src/demo/demo_pki.js";
import { run, runPkiJob, serveShOcspArgs } from "./support.js";

/** id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1). */
const OCSP_NOCHECK = "1.3.6.1.5.5.7.48.1.5";

const dir = mkdtempSync(join(tmpdir(), "gk-pki-job-"));
const out = join(dir, "pki");
let produced: string[] = [];

const file = (path: string) => join(out, path);
const certificate = (path: string) => new X509Certificate(readFileSync(file(path), "utf8"));

async function openssl(args: string[]): Promise<string> {
  const result = await run("openssl", args, { cwd: dir, timeoutMs: 20_000 });
  if (result.code !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr}`);
  return `${result.stdout}${result.stderr}`;
}

/** The SubjectPublicKeyInfo of a certificate or private key, as openssl prints it (PEM). */
async function publicKeyOf(path: string, kind: "cert" | "key"): Promise<string> {
  return kind === "cert"
    ? openssl(["x509", "-in", path, "-noout", "-pubkey"])
    : openssl(["pkey", "-in", path, "-pubout"]);
}

beforeAll(async () => {
  produced = await runPkiJob(out);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("deploy/pki/generate.sh (the compose pki job)", () => {
  it("writes the demo QTSP with every demo TPP, tpp-revoked, Envoy's files and the OCSP responder's", () => {
    const tpps = [...Object.keys(DEMO_TPPS), "tpp-revoked"].flatMap((name) => [
      `qtsp/${name}.pem`,
      `qtsp/${name}.key`,
    ]);
    const expected = [
      ".complete",
      "qtsp/root.pem",
      "qtsp/intermediates.pem",
      "qtsp/ca-bundle.pem",
      ...tpps,
      "envoy/server.pem",
      "envoy/server.key",
      "envoy/server-ca.pem",
      "ocsp/responder.pem",
      "ocsp/responder.key",
      "ocsp/ca.pem",
      "ocsp/index.txt",
    ];
    expect(produced.sort()).toEqual(expected.sort());
  });

  it("bundles the QTSP root and issuing CA so that openssl verifies the demo QWACs with it", async () => {
    const output = await openssl(["verify", "-CAfile", file("qtsp/ca-bundle.pem"), file("qtsp/tpp-ai.pem")]);
    expect(output).toContain(": OK");
  });

  it("issues Envoy's server certificate for api.bank.example and localhost from a CA of its own", async () => {
    const server = certificate("envoy/server.pem");
    const names = server.getExtension(SubjectAlternativeNameExtension)?.names.items.map((name) => name.value);
    expect(names).toEqual(["api.bank.example", "localhost"]);
    expect(server.getExtension(ExtendedKeyUsageExtension)?.usages).toEqual([EKU_SERVER_AUTH]);
    expect(
      await openssl(["verify", "-CAfile", file("envoy/server-ca.pem"), file("envoy/server.pem")]),
    ).toContain(": OK");
    // The bank's server CA is not one of the QTSPs TPP certificates chain to.
    expect(certificate("envoy/server-ca.pem").subject).not.toBe(certificate("qtsp/root.pem").subject);
    const mixed = await run("openssl", [
      "verify",
      "-CAfile",
      file("qtsp/ca-bundle.pem"),
      file("envoy/server.pem"),
    ]);
    expect(mixed.code).not.toBe(0);
  });

  it("pairs every private key with its certificate", async () => {
    const pairs = [
      ...[...Object.keys(DEMO_TPPS), "tpp-revoked"].map((name) => `qtsp/${name}`),
      "envoy/server",
      "ocsp/responder",
    ];
    for (const pair of pairs) {
      expect(await publicKeyOf(file(`${pair}.key`), "key"), pair).toBe(
        await publicKeyOf(file(`${pair}.pem`), "cert"),
      );
    }
  });

  it("leaves no CA private key in the volume", async () => {
    const caKeys = [
      await publicKeyOf(file("qtsp/root.pem"), "cert"),
      await publicKeyOf(file("qtsp/intermediates.pem"), "cert"),
      await publicKeyOf(file("envoy/server-ca.pem"), "cert"),
    ];
    for (const key of produced.filter((path) => path.endsWith(".key"))) {
      expect(caKeys, key).not.toContain(await publicKeyOf(file(key), "key"));
    }
  });

  it("makes every private key readable by its owner only, and hands Envoy's to the Envoy uid when run as root", () => {
    for (const key of produced.filter((path) => path.endsWith(".key"))) {
      expect(statSync(file(key)).mode & 0o777, key).toBe(0o600);
    }
    if (process.getuid?.() === 0) {
      expect(statSync(file("envoy/server.key")).uid).toBe(101);
      expect(statSync(file("qtsp/tpp-ai.key")).uid).toBe(1000);
      expect(statSync(file("ocsp/responder.key")).uid).toBe(1000);
    }
  });

  it("gives the OCSP responder a delegated certificate from the issuing CA (OCSPSigning, nocheck)", async () => {
    const responder = certificate("ocsp/responder.pem");
    const issuingCa = certificate("qtsp/intermediates.pem");
    expect(responder.issuer).toBe(issuingCa.subject);
    expect(await responder.verify({ publicKey: issuingCa, signatureOnly: true })).toBe(true);
    expect(responder.getExtension(ExtendedKeyUsageExtension)?.usages).toEqual([EKU_OCSP_SIGNING]);
    expect(responder.getExtension(OCSP_NOCHECK)).not.toBeNull();
    expect(readFileSync(file("ocsp/ca.pem"), "utf8")).toBe(
      readFileSync(file("qtsp/intermediates.pem"), "utf8"),
    );
  });

  it("keeps a complete run: certificates stay the same when the job runs again", async () => {
    const before = readFileSync(file("qtsp/root.pem"), "utf8");
    const again = await runPkiJob(out);
    expect(again.sort()).toEqual([...produced].sort());
    expect(readFileSync(file("qtsp/root.pem"), "utf8")).toBe(before);
  });
});

describe("the OCSP responder's data (what deploy/ocsp/serve.sh serves)", () => {
  /** One OCSP exchange through openssl's responder code, with the options serve.sh passes. */
  async function ask(tpp: string): Promise<string> {
    await openssl([
      "ocsp",
      "-issuer",
      file("ocsp/ca.pem"),
      "-cert",
      file(`qtsp/${tpp}.pem`),
      "-no_nonce",
      "-reqout",
      "req.der",
    ]);
    await openssl(["ocsp", ...serveShOcspArgs(out), "-reqin", "req.der", "-respout", "resp.der"]);
    return openssl([
      "ocsp",
      "-respin",
      "resp.der",
      "-issuer",
      file("ocsp/ca.pem"),
      "-cert",
      file(`qtsp/${tpp}.pem`),
      "-CAfile",
      file("qtsp/ca-bundle.pem"),
    ]);
  }

  it("is what serve.sh hands to `openssl ocsp`", () => {
    expect(serveShOcspArgs("/pki")).toEqual([
      ...["-index", "/pki/ocsp/index.txt", "-CA", "/pki/ocsp/ca.pem"],
      ...["-rsigner", "/pki/ocsp/responder.pem", "-rkey", "/pki/ocsp/responder.key"],
      ...["-nmin", "10", "-ignore_err"],
    ]);
  });

  it("answers good for a demo TPP, signed by the responder and verified against the QTSP bundle", async () => {
    const answer = await ask("tpp-ai");
    expect(answer).toContain("Response verify OK");
    expect(answer).toMatch(/tpp-ai\.pem: good/);
  });

  it("answers revoked (keyCompromise) for tpp-revoked", async () => {
    const answer = await ask("tpp-revoked");
    expect(answer).toContain("Response verify OK");
    expect(answer).toMatch(/tpp-revoked\.pem: revoked/);
    expect(answer).toContain("keyCompromise");
  });
});
