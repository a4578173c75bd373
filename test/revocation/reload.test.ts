import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoadedSnapshot, loadSnapshot } from "../../src/config/snapshot.js";
import { createRevocationChecker } from "../../src/revocation/checker.js";
import { revocationConfigSchema } from "../../src/revocation/config.js";
import { buildOcspRequest } from "../../src/revocation/ocsp.js";
import { type IssuedCert, replayKey } from "../support/openssl_ca.js";
import { PATH, type RevocationLab, startRevocationLab } from "./lab.js";

/**
 * Issue 13 item 7: a reload that changes a revocation setting builds a new checker; what the old one
 * verified (a revocation above all) must carry over, so a replayed older "good" cannot re-admit a
 * revoked certificate. Real config files through loadSnapshot, the lab's `openssl ocsp` responder.
 */

const HOUR_MS = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), "gk-revocation-reload-"));
const configFile = join(dir, "config.yaml");
let lab: RevocationLab;
let revoked: IssuedCert;
let good: IssuedCert;
/** What the responder answered for `revoked` before it was revoked: "good", nextUpdate in a day. */
let replayedGood: Map<string, Uint8Array>;
const snapshots: LoadedSnapshot[] = [];

function writeConfig(revocation: string): void {
  writeFileSync(
    configFile,
    [
      "trust: { anchors: root.pem }",
      "policy: policy.yaml",
      `revocation: ${revocation}`,
      "sources: [header]",
      "trustedHops:",
      "  - cidrs: [127.0.0.1/32]",
      "    signature: { keys: [{ keyid: proxy-1, alg: hmac-sha256, file: proxy.key }] }",
    ].join("\n"),
  );
}

function load(previous?: LoadedSnapshot): LoadedSnapshot {
  const snapshot = loadSnapshot(configFile, { now: () => new Date() }, previous);
  snapshots.push(snapshot);
  return snapshot;
}

beforeAll(async () => {
  lab = await startRevocationLab();
  writeFileSync(join(dir, "root.pem"), lab.ca.cert.pem);
  writeFileSync(
    join(dir, "policy.yaml"),
    "version: 1\nrules:\n  - { methods: [GET], path: /v1/x, roles: [PSP_AI] }\n",
  );
  writeFileSync(join(dir, "proxy.key"), randomBytes(32).toString("base64"));
  revoked = await lab.ca.issue("revoked-after-capture", "leaf-ocsp-only");
  good = await lab.ca.issue("good-before-reload", "leaf-ocsp-only");
  const request = buildOcspRequest({ subject: lab.subject(revoked), hash: "sha1", nonce: undefined });
  const signing = { signer: lab.certs.delegatedResponder, nextUpdateMinutes: 24 * 60 };
  replayedGood = new Map([[replayKey(request), await lab.ca.ocspAnswer(request, signing)]]);
  await lab.ca.revoke(revoked, "keyCompromise");
}, 120_000);

afterAll(async () => {
  for (const snapshot of snapshots) await snapshot.gate.revocation.close();
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a reload that changes a revocation setting", () => {
  it("keeps a certificate seen revoked revoked when the responder then replays an older good answer", async () => {
    lab.server.route(PATH.ocsp, {
      kind: "ocsp",
      ca: lab.ca,
      signing: { signer: lab.certs.delegatedResponder },
    });
    writeConfig("{ timeoutMs: 2000, fetchTimeoutMs: 2000 }");
    const first = load();
    const now = new Date();
    expect(await first.gate.revocation.check(lab.subject(revoked), now)).toMatchObject({ status: "revoked" });

    lab.server.route(PATH.ocsp, { kind: "replay", answers: replayedGood });
    // Past every cache lifetime of the revoked answer, so the new checker does ask the responder.
    const later = new Date(now.getTime() + 2 * HOUR_MS);
    // The replay on its own is a verified "good": a checker that knows nothing is fooled by it.
    expect(await load().gate.revocation.check(lab.subject(revoked), later)).toMatchObject({ status: "good" });

    writeConfig("{ timeoutMs: 1500, fetchTimeoutMs: 2000 }");
    const second = load(first);
    expect(second.gate.revocation).not.toBe(first.gate.revocation);
    lab.server.resetHits();
    const status = await second.gate.revocation.check(lab.subject(revoked), later);
    expect(lab.server.hits(PATH.ocsp)).toBe(1);
    expect(status).toMatchObject({ status: "revoked", revocationReason: "keyCompromise" });
  });

  it("keeps a verified answer still before its nextUpdate, so a dead responder does not deny it", async () => {
    lab.server.route(PATH.ocsp, {
      kind: "ocsp",
      ca: lab.ca,
      signing: { signer: lab.certs.delegatedResponder, nextUpdateMinutes: 60 },
    });
    writeConfig("{ timeoutMs: 2000, fetchTimeoutMs: 2000 }");
    const first = load();
    const now = new Date();
    expect(await first.gate.revocation.check(lab.subject(good), now)).toMatchObject({ status: "good" });

    lab.server.route(PATH.ocsp, { kind: "status", status: 503 });
    writeConfig("{ timeoutMs: 2000, fetchTimeoutMs: 2000, negativeTtlSeconds: 10 }");
    const second = load(first);
    expect(second.gate.revocation).not.toBe(first.gate.revocation);
    lab.server.resetHits();
    expect(await second.gate.revocation.check(lab.subject(good), now)).toMatchObject({ status: "good" });
    expect(lab.server.hits(PATH.ocsp)).toBe(0);
  });

  it("hands over a revocation however old, and no other answer past its nextUpdate", async () => {
    lab.server.route(PATH.ocsp, {
      kind: "ocsp",
      ca: lab.ca,
      signing: { signer: lab.certs.delegatedResponder, nextUpdateMinutes: 60 },
    });
    const checker = createRevocationChecker(revocationConfigSchema.parse({ timeoutMs: 2000 }));
    const now = new Date();
    expect(await checker.check(lab.subject(good), now)).toMatchObject({ status: "good" });
    expect(await checker.check(lab.subject(revoked), now)).toMatchObject({ status: "revoked" });
    const keys = (at: Date) => [...(checker.keptAnswers?.(at) ?? [])].map((kept) => kept.key);
    expect(keys(now)).toEqual([lab.subject(good).key, lab.subject(revoked).key]);
    expect(keys(new Date(now.getTime() + 2 * HOUR_MS))).toEqual([lab.subject(revoked).key]);
    await checker.close();
  });
});
