import { X509CrlReason } from "@peculiar/x509";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRevocationChecker } from "../../src/revocation/checker.js";
import { type RevocationConfigInput, revocationConfigSchema } from "../../src/revocation/config.js";
import type { RevocationEvent, RevocationLogger } from "../../src/revocation/events.js";
import { buildOcspRequest } from "../../src/revocation/ocsp.js";
import {
  type RevocationChecker,
  type RevocationStatus,
  type RevocationSubject,
  revocationDenial,
} from "../../src/revocation/revocation.js";
import { type IssuedCert, replayKey } from "../support/openssl_ca.js";
import {
  type FlakyResponder,
  labCrl,
  PATH,
  type ResponderFailure,
  type RevocationLab,
  scopedTo,
  startFlakyResponder,
  startRevocationLab,
} from "./lab.js";

let lab: RevocationLab;
const opened: RevocationChecker[] = [];
const flaky: FlakyResponder[] = [];

beforeAll(async () => {
  lab = await startRevocationLab();
});

afterAll(async () => {
  await lab?.close();
});

beforeEach(() => {
  lab.server.resetHits();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((checker) => checker.close()));
  await Promise.all(flaky.splice(0).map((responder) => responder.close()));
});

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

interface Harness {
  readonly checker: RevocationChecker;
  readonly events: RevocationEvent[];
  readonly logs: { level: "warn" | "info"; obj: object; msg: string }[];
}

/**
 * Each openssl answer is a process start, which a loaded CI machine may take longer than 100 ms for:
 * Checks that must get an answer wait generously; the fail-mode tests set a short timeout themselves.
 */
const PATIENT = { timeoutMs: 5_000, fetchTimeoutMs: 10_000 };

function checkerWith(input: RevocationConfigInput = {}): Harness {
  const events: RevocationEvent[] = [];
  const logs: Harness["logs"] = [];
  const logger: RevocationLogger = {
    warn: (obj, msg) => logs.push({ level: "warn", obj, msg }),
    info: (obj, msg) => logs.push({ level: "info", obj, msg }),
  };
  const checker = createRevocationChecker(revocationConfigSchema.parse({ ...PATIENT, ...input }), {
    logger,
    onEvent: (event) => events.push(event),
  });
  opened.push(checker);
  return { checker, events, logs };
}

/** A per-issuer override for the lab's CA. */
function forTheCa(override: Omit<NonNullable<RevocationConfigInput["issuers"]>[number], "match">) {
  return { issuers: [{ match: { sha256: lab.subject(lab.certs.good).issuerFingerprint }, ...override }] };
}

function subjectOf(cert: IssuedCert): RevocationSubject {
  return lab.subject(cert);
}

function later(base: Date, ms: number): Date {
  return new Date(base.getTime() + ms);
}

function cacheResults(events: readonly RevocationEvent[]): string[] {
  return events.flatMap((event) => (event.type === "cache" ? [event.result] : []));
}

/** Bounded wait for background work (a refresh-ahead fetch); fails the test instead of hanging it. */
async function eventually(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(condition()).toBe(true);
}

async function flakyResponder(): Promise<FlakyResponder> {
  const responder = await startFlakyResponder(lab);
  flaky.push(responder);
  return responder;
}

describe("answers from the responder named in the certificate's AIA", () => {
  it("lets a good certificate through", async () => {
    const { checker } = checkerWith();
    const status = await checker.check(subjectOf(lab.certs.good), new Date());
    expect(status).toEqual({ status: "good", source: "ocsp" });
    expect(revocationDenial(status)).toBeUndefined();
    expect(lab.server.hits(PATH.ocsp)).toBe(1);
  });

  it("reads a status it does not recognise as a denial, never as good", () => {
    const corrupt = {} as Parameters<typeof revocationDenial>[0];
    expect(revocationDenial(corrupt)?.reason).toBe("REVOCATION_UNAVAILABLE");
  });

  it("answers from its cache synchronously: the warm path never waits on a promise", async () => {
    const { checker } = checkerWith();
    const first = checker.check(subjectOf(lab.certs.good), new Date());
    expect(first).toBeInstanceOf(Promise);
    await first;
    const warm = checker.check(subjectOf(lab.certs.good), new Date());
    expect(warm).toEqual({ status: "good", source: "ocsp" });
    expect(lab.server.hits(PATH.ocsp)).toBe(1);
  });

  it("denies a revoked certificate as CERT_REVOKED and logs the revocation time and reason", async () => {
    const { checker, logs } = checkerWith();
    const status = await checker.check(subjectOf(lab.certs.revokedKeyCompromise), new Date());
    expect(status).toMatchObject({ status: "revoked", source: "ocsp", revocationReason: "keyCompromise" });
    expect(revocationDenial(status)?.reason).toBe("CERT_REVOKED");
    expect(revocationDenial(status)?.detail).toMatch(/keyCompromise/);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: "info",
        obj: expect.objectContaining({ reason: "keyCompromise", revokedAt: expect.any(String) }),
      }),
    );
  });

  it("denies a certificate on hold as CERT_ON_HOLD", async () => {
    const { checker } = checkerWith();
    const status = await checker.check(subjectOf(lab.certs.onHold), new Date());
    expect(revocationDenial(status)?.reason).toBe("CERT_ON_HOLD");
  });

  it("denies a certificate the responder does not know as CERT_REVOCATION_UNKNOWN", async () => {
    const { checker } = checkerWith();
    const status = await checker.check(subjectOf(lab.certs.unknownToResponder), new Date());
    expect(status).toEqual({ status: "unknown", source: "ocsp" });
    expect(revocationDenial(status)?.reason).toBe("CERT_REVOCATION_UNKNOWN");
  });

  it("asks by RFC 5019 GET when configured and the request is small", async () => {
    const { checker } = checkerWith({ useGet: true });
    expect(await checker.check(subjectOf(lab.certs.good), new Date())).toEqual({
      status: "good",
      source: "ocsp",
    });
    expect(lab.server.lastMethod(PATH.ocsp)).toBe("GET");
  });

  it("asks by POST with a SHA-256 CertID and a nonce when configured", async () => {
    const { checker } = checkerWith({ hash: "sha256", nonce: true });
    expect(await checker.check(subjectOf(lab.certs.good), new Date())).toEqual({
      status: "good",
      source: "ocsp",
    });
    expect(lab.server.lastMethod(PATH.ocsp)).toBe("POST");
  });

  it("takes answers captured beforehand from a replaying responder (as the bench does)", async () => {
    const subject = subjectOf(lab.certs.ocspOnly);
    const request = buildOcspRequest({ subject, hash: "sha1" });
    const signing = { signer: lab.certs.delegatedResponder, nextUpdateMinutes: 60 };
    const answers = new Map([[replayKey(request), await lab.ca.ocspAnswer(request, signing)]]);
    lab.server.route("/ocsp/replay", { kind: "replay", answers });
    const { checker } = checkerWith(forTheCa({ ocspUrl: lab.server.url("/ocsp/replay") }));
    expect(await checker.check(subject, new Date())).toEqual({ status: "good", source: "ocsp" });
    expect(lab.server.hits("/ocsp/replay")).toBe(1);
  });

  it("asks the issuer's configured responder instead of the AIA", async () => {
    const { checker } = checkerWith(forTheCa({ ocspUrl: lab.server.url(PATH.ocspSignedByCa) }));
    expect(await checker.check(subjectOf(lab.certs.good), new Date())).toEqual({
      status: "good",
      source: "ocsp",
    });
    expect(lab.server.hits(PATH.ocspSignedByCa)).toBe(1);
    expect(lab.server.hits(PATH.ocsp)).toBe(0);
  });
});

describe("a response that fails verification is no answer", () => {
  it("denies as REVOCATION_UNAVAILABLE when an unauthorised key signed the response", async () => {
    const { checker } = checkerWith(forTheCa({ ocspUrl: lab.server.url(PATH.ocspRogueSigner) }));
    const status = await checker.check(subjectOf(lab.certs.ocspOnly), new Date());
    expect(status).toMatchObject({ status: "unavailable", code: "unauthorised-signer" });
    expect(revocationDenial(status)?.reason).toBe("REVOCATION_UNAVAILABLE");
  });

  it("denies when the responder answers for another serial", async () => {
    const captured = await lab.ca.ocspAnswer(
      buildOcspRequest({ subject: subjectOf(lab.certs.good), hash: "sha1" }),
      {
        signer: lab.certs.delegatedResponder,
        nextUpdateMinutes: 60,
      },
    );
    lab.server.route("/ocsp/wrong-serial", {
      kind: "bytes",
      body: captured,
      contentType: "application/ocsp-response",
    });
    const { checker } = checkerWith(forTheCa({ ocspUrl: lab.server.url("/ocsp/wrong-serial") }));
    const status = await checker.check(subjectOf(lab.certs.ocspOnly), new Date());
    expect(status).toMatchObject({ status: "unavailable", code: "certid-mismatch" });
  });

  it("denies when the response's nextUpdate has passed", async () => {
    const { checker } = checkerWith(forTheCa({ ocspUrl: lab.server.url(PATH.ocspShortLived) }));
    const status = await checker.check(subjectOf(lab.certs.ocspOnly), later(new Date(), 30 * MINUTE));
    expect(status).toMatchObject({ status: "unavailable", code: "expired" });
  });

  it("accepts a delegated responder without ocsp-nocheck that the CA's CRL does not list", async () => {
    const { checker } = checkerWith(forTheCa({ ocspUrl: lab.server.url(PATH.ocspCheckedResponder) }));
    expect(await checker.check(subjectOf(lab.certs.ocspOnly), new Date())).toEqual({
      status: "good",
      source: "ocsp",
    });
    expect(lab.server.hits(PATH.crl)).toBe(1);
  });

  it("refuses a delegated responder without ocsp-nocheck whose certificate the CA revoked", async () => {
    const { checker } = checkerWith(forTheCa({ ocspUrl: lab.server.url(PATH.ocspRevokedResponder) }));
    const status = await checker.check(subjectOf(lab.certs.ocspOnly), new Date());
    expect(status).toMatchObject({ status: "unavailable", code: "responder-revoked" });
  });
});

/**
 * Only the slow responder needs a short wait (it answers after SLOW_MS); the others fail at once, and a
 * patient wait keeps their failure code from turning into "deadline" on a loaded machine.
 */
const FAILURES: readonly { how: ResponderFailure; code: string; timeoutMs: number }[] = [
  { how: "down", code: "network", timeoutMs: PATIENT.timeoutMs },
  { how: "slow", code: "deadline", timeoutMs: 50 },
  { how: "garbage", code: "malformed", timeoutMs: PATIENT.timeoutMs },
  { how: "http-500", code: "http-status", timeoutMs: PATIENT.timeoutMs },
];

/**
 * Lets the first answer land in the cache even if the Check stopped waiting for it (the fetch goes on
 * in the background), so the test does not depend on how fast openssl starts.
 */
async function primed(harness: Harness, subject: RevocationSubject, now: Date): Promise<void> {
  const answers = () => harness.events.filter((e) => e.type === "fetch" && e.outcome === "answer").length;
  const before = answers();
  await harness.checker.check(subject, now);
  await eventually(() => answers() > before);
}

describe.each(FAILURES)("when the responder is $how", ({ how, code, timeoutMs }) => {
  // No CRL fallback, so the OCSP failure is what decides (the revoked fixture has a CDP).
  const failing = { timeoutMs, trySecondSource: false };

  it("hard mode denies as REVOCATION_UNAVAILABLE", async () => {
    const responder = await flakyResponder();
    await responder.fail(how);
    const { checker } = checkerWith({
      ...failing,
      failMode: "hard",
      ...forTheCa({ ocspUrl: responder.url }),
    });
    const status = await checker.check(subjectOf(lab.certs.ocspOnly), new Date());
    expect(status).toMatchObject({ status: "unavailable", code });
    expect(revocationDenial(status)?.reason).toBe("REVOCATION_UNAVAILABLE");
  });

  it("soft mode allows, marked unchecked", async () => {
    const responder = await flakyResponder();
    await responder.fail(how);
    const { checker, events } = checkerWith({
      ...failing,
      failMode: "soft",
      ...forTheCa({ ocspUrl: responder.url }),
    });
    const status = await checker.check(subjectOf(lab.certs.ocspOnly), new Date());
    expect(status).toMatchObject({ status: "unchecked", code });
    expect(revocationDenial(status)).toBeUndefined();
    expect(events).toContainEqual({ type: "fallback", result: "soft", code });
  });

  it("stale-if-error serves the last verified answer within the window past its nextUpdate", async () => {
    const responder = await flakyResponder();
    const harness = checkerWith({
      ...failing,
      failMode: "stale-if-error",
      staleIfErrorSeconds: 3_600,
      ...forTheCa({ ocspUrl: responder.url }),
    });
    const { checker } = harness;
    const t0 = new Date();
    const revoked = subjectOf(lab.certs.revokedKeyCompromise);
    await primed(harness, subjectOf(lab.certs.ocspOnly), t0);
    await primed(harness, revoked, t0);
    await responder.fail(how);
    // nextUpdate is 60 minutes after t0; 90 minutes is within the hour of stale-if-error.
    const past = later(t0, 90 * MINUTE);
    expect(await checker.check(subjectOf(lab.certs.ocspOnly), past)).toEqual({
      status: "good",
      source: "stale-ocsp",
    });
    expect(await checker.check(revoked, past)).toMatchObject({ status: "revoked", source: "stale-ocsp" });
  });

  it("soft mode never re-admits a certificate it has seen revoked, however old that answer", async () => {
    const responder = await flakyResponder();
    const harness = checkerWith({ ...failing, failMode: "soft", ...forTheCa({ ocspUrl: responder.url }) });
    const t0 = new Date();
    const revoked = subjectOf(lab.certs.revokedKeyCompromise);
    await primed(harness, revoked, t0);
    await responder.fail(how);
    const status = await harness.checker.check(revoked, later(t0, 30 * 24 * 60 * MINUTE));
    expect(status).toMatchObject({ status: "revoked" });
    expect(revocationDenial(status)?.reason).toBe("CERT_REVOKED");
  });

  it("stale-if-error turns hard once the window has passed", async () => {
    const responder = await flakyResponder();
    const harness = checkerWith({
      ...failing,
      failMode: "stale-if-error",
      staleIfErrorSeconds: 600,
      ...forTheCa({ ocspUrl: responder.url }),
    });
    const { checker } = harness;
    const t0 = new Date();
    await primed(harness, subjectOf(lab.certs.ocspOnly), t0);
    await responder.fail(how);
    const status = await checker.check(subjectOf(lab.certs.ocspOnly), later(t0, 90 * MINUTE));
    expect(status).toMatchObject({ status: "unavailable", code });
  });
});

describe("fail modes, whatever the failure", () => {
  it("stale-if-error without any earlier answer denies", async () => {
    const responder = await flakyResponder();
    await responder.fail("http-500");
    const { checker } = checkerWith({ failMode: "stale-if-error", ...forTheCa({ ocspUrl: responder.url }) });
    expect(await checker.check(subjectOf(lab.certs.ocspOnly), new Date())).toMatchObject({
      status: "unavailable",
    });
  });

  it("hard mode still serves a cached answer before its nextUpdate when the refresh fails", async () => {
    const responder = await flakyResponder();
    const { checker, events } = checkerWith({ maxTtlSeconds: 60, ...forTheCa({ ocspUrl: responder.url }) });
    const t0 = new Date();
    expect((await checker.check(subjectOf(lab.certs.ocspOnly), t0)).status).toBe("good");
    await responder.fail("http-500");
    // Past the 60 s cache lifetime but well before the answer's own nextUpdate (60 minutes).
    const status = await checker.check(subjectOf(lab.certs.ocspOnly), later(t0, 5 * MINUTE));
    expect(status).toEqual({ status: "good", source: "ocsp" });
    expect(events).toContainEqual({ type: "fallback", result: "still-valid", code: "http-status" });
  });

  it("applies the issuer's own fail mode over the global one", async () => {
    const responder = await flakyResponder();
    await responder.fail("down");
    const { checker } = checkerWith({
      failMode: "hard",
      ...forTheCa({ ocspUrl: responder.url, failMode: "soft" }),
    });
    expect((await checker.check(subjectOf(lab.certs.ocspOnly), new Date())).status).toBe("unchecked");
  });
});

describe("the cache", () => {
  it("sends exactly one responder request for 1000 concurrent first checks of one certificate", async () => {
    const { checker } = checkerWith();
    const subject = subjectOf(lab.certs.ocspOnly);
    const now = new Date();
    const statuses = await Promise.all(Array.from({ length: 1000 }, () => checker.check(subject, now)));
    expect(new Set(statuses.map((status) => status.status))).toEqual(new Set(["good"]));
    expect(lab.server.hits(PATH.ocsp)).toBe(1);
  });

  it("answers a second check from the cache without a request", async () => {
    const { checker, events } = checkerWith();
    const now = new Date();
    await checker.check(subjectOf(lab.certs.good), now);
    expect(await checker.check(subjectOf(lab.certs.good), later(now, 10 * SECOND))).toEqual({
      status: "good",
      source: "ocsp",
    });
    expect(lab.server.hits(PATH.ocsp)).toBe(1);
    expect(cacheResults(events)).toEqual(["miss", "hit"]);
  });

  it("caches revoked answers too", async () => {
    const { checker } = checkerWith();
    const now = new Date();
    await checker.check(subjectOf(lab.certs.revokedKeyCompromise), now);
    expect((await checker.check(subjectOf(lab.certs.revokedKeyCompromise), now)).status).toBe("revoked");
    expect(lab.server.hits(PATH.ocsp)).toBe(1);
  });

  it("asks again once maxTtlSeconds caps an answer's nextUpdate", async () => {
    const { checker } = checkerWith({ maxTtlSeconds: 60, refreshAheadFraction: 0 });
    const t0 = new Date();
    await checker.check(subjectOf(lab.certs.good), t0);
    await checker.check(subjectOf(lab.certs.good), later(t0, 59 * SECOND));
    expect(lab.server.hits(PATH.ocsp)).toBe(1);
    await checker.check(subjectOf(lab.certs.good), later(t0, 61 * SECOND));
    expect(lab.server.hits(PATH.ocsp)).toBe(2);
  });

  it("keeps an answer without nextUpdate for defaultTtlSeconds", async () => {
    const { checker } = checkerWith({
      defaultTtlSeconds: 30,
      refreshAheadFraction: 0,
      ...forTheCa({ ocspUrl: lab.server.url(PATH.ocspSignedByCa) }),
    });
    const t0 = new Date();
    await checker.check(subjectOf(lab.certs.good), t0);
    await checker.check(subjectOf(lab.certs.good), later(t0, 29 * SECOND));
    expect(lab.server.hits(PATH.ocspSignedByCa)).toBe(1);
    await checker.check(subjectOf(lab.certs.good), later(t0, 31 * SECOND));
    expect(lab.server.hits(PATH.ocspSignedByCa)).toBe(2);
  });

  it("keeps an unknown answer only for unknownTtlSeconds", async () => {
    const { checker } = checkerWith({ unknownTtlSeconds: 10, refreshAheadFraction: 0 });
    const t0 = new Date();
    await checker.check(subjectOf(lab.certs.unknownToResponder), t0);
    await checker.check(subjectOf(lab.certs.unknownToResponder), later(t0, 11 * SECOND));
    expect(lab.server.hits(PATH.ocsp)).toBe(2);
  });

  it("serves a hit late in the answer's life at once and refreshes it in the background", async () => {
    const { checker, events } = checkerWith({ maxTtlSeconds: 100, refreshAheadFraction: 0.5 });
    const t0 = new Date();
    await checker.check(subjectOf(lab.certs.good), t0);
    await checker.check(subjectOf(lab.certs.good), later(t0, 40 * SECOND));
    expect(lab.server.hits(PATH.ocsp)).toBe(1);
    const late = await checker.check(subjectOf(lab.certs.good), later(t0, 60 * SECOND));
    expect(late).toEqual({ status: "good", source: "ocsp" });
    expect(cacheResults(events)).toEqual(["miss", "hit", "refresh-ahead"]);
    await eventually(() => events.filter((event) => event.type === "fetch").length === 2);
    expect(lab.server.hits(PATH.ocsp)).toBe(2);
    // The refreshed answer is fresh again: no further refresh for a while.
    await checker.check(subjectOf(lab.certs.good), later(t0, 70 * SECOND));
    expect(cacheResults(events).at(-1)).toBe("hit");
  });

  it("does not ask a failing responder again within negativeTtlSeconds", async () => {
    const { checker, events } = checkerWith({
      negativeTtlSeconds: 5,
      ...forTheCa({ ocspUrl: lab.server.url(PATH.ocspHttp500) }),
    });
    const t0 = new Date();
    await checker.check(subjectOf(lab.certs.ocspOnly), t0);
    const again = await checker.check(subjectOf(lab.certs.ocspOnly), later(t0, 4 * SECOND));
    expect(again).toMatchObject({ status: "unavailable", code: "http-status" });
    expect(lab.server.hits(PATH.ocspHttp500)).toBe(1);
    expect(cacheResults(events)).toEqual(["miss", "negative"]);
    await checker.check(subjectOf(lab.certs.ocspOnly), later(t0, 6 * SECOND));
    expect(lab.server.hits(PATH.ocspHttp500)).toBe(2);
  });
});

describe("the CRL", () => {
  it("lets a CRL-only certificate the CRL does not list through", async () => {
    const { checker } = checkerWith();
    expect(await checker.check(subjectOf(lab.certs.crlOnlyGood), new Date())).toEqual({
      status: "good",
      source: "crl",
    });
  });

  it("denies a CRL-only certificate the CRL lists, with its reason", async () => {
    const { checker } = checkerWith();
    const status = await checker.check(subjectOf(lab.certs.crlOnlyRevoked), new Date());
    expect(status).toMatchObject({ status: "revoked", source: "crl", revocationReason: "superseded" });
    expect(revocationDenial(status)?.reason).toBe("CERT_REVOKED");
  });

  it("downloads the CA's CRL once for all its certificates, however many check at once", async () => {
    const { checker } = checkerWith();
    const now = new Date();
    const subjects = [lab.certs.crlOnlyGood, lab.certs.crlOnlyRevoked].map(subjectOf);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => checker.check(subjects[i % 2] as RevocationSubject, now)),
    );
    expect(lab.server.hits(PATH.crl)).toBe(1);
  });

  it("denies when the CRL was tampered with", async () => {
    const tampered = Buffer.from(lab.crl);
    const serial = Buffer.from(subjectOf(lab.certs.crlOnlyRevoked).serial);
    const at = tampered.indexOf(serial);
    tampered[at] = (tampered[at] ?? 0) ^ 0x01;
    lab.server.route("/crl/tampered.crl", {
      kind: "bytes",
      body: tampered,
      contentType: "application/pkix-crl",
    });
    const { checker } = checkerWith(forTheCa({ crlUrl: lab.server.url("/crl/tampered.crl") }));
    const status: RevocationStatus = await checker.check(subjectOf(lab.certs.crlOnlyRevoked), new Date());
    expect(status).toMatchObject({ status: "unavailable", code: "bad-signature" });
  });

  it("takes a mirror's CRL that is scoped to the certificate's own distribution point", async () => {
    const revoked = subjectOf(lab.certs.crlOnlyRevoked);
    const mirrored = await labCrl(lab, {
      extensions: [scopedTo(lab.server.url(PATH.crl))],
      entries: [{ serialHex: revoked.serialHex, reason: X509CrlReason.keyCompromise }],
    });
    lab.server.route("/mirror/ca.crl", {
      kind: "bytes",
      body: mirrored,
      contentType: "application/pkix-crl",
    });
    const { checker } = checkerWith(forTheCa({ crlUrl: lab.server.url("/mirror/ca.crl") }));
    const now = new Date();
    expect(await checker.check(revoked, now)).toMatchObject({
      status: "revoked",
      source: "crl",
      revocationReason: "keyCompromise",
    });
    expect(await checker.check(subjectOf(lab.certs.crlOnlyGood), now)).toMatchObject({ status: "good" });
  });

  it("does not take another partition's CRL from a mirror as an answer", async () => {
    const other = await labCrl(lab, { extensions: [scopedTo("http://127.0.0.1:1/partition-2.crl")] });
    lab.server.route("/mirror/other.crl", {
      kind: "bytes",
      body: other,
      contentType: "application/pkix-crl",
    });
    const { checker } = checkerWith(forTheCa({ crlUrl: lab.server.url("/mirror/other.crl") }));
    const status = await checker.check(subjectOf(lab.certs.crlOnlyRevoked), new Date());
    expect(status).toMatchObject({ status: "unavailable", code: "unsupported" });
  });

  it("uses the CRL instead of OCSP with preferCrl", async () => {
    const { checker } = checkerWith({ preferCrl: true });
    expect(await checker.check(subjectOf(lab.certs.good), new Date())).toEqual({
      status: "good",
      source: "crl",
    });
    expect(lab.server.hits(PATH.ocsp)).toBe(0);
  });

  it("answers from the CRL when the responder is down and the certificate has a CDP", async () => {
    const { checker } = checkerWith(forTheCa({ ocspUrl: lab.downUrl }));
    const status = await checker.check(subjectOf(lab.certs.revokedKeyCompromise), new Date());
    expect(status).toMatchObject({ status: "revoked", source: "crl", revocationReason: "keyCompromise" });
  });

  it("does not fall back to the CRL with trySecondSource off", async () => {
    const { checker } = checkerWith({ trySecondSource: false, ...forTheCa({ ocspUrl: lab.downUrl }) });
    const status = await checker.check(subjectOf(lab.certs.good), new Date());
    expect(status).toMatchObject({ status: "unavailable", code: "network" });
    expect(lab.server.hits(PATH.crl)).toBe(0);
  });
});

describe("the checker's life", () => {
  it("close() ends a fetch the Check stopped waiting for", async () => {
    const { checker, events } = checkerWith({
      timeoutMs: 50,
      fetchTimeoutMs: 60_000,
      ...forTheCa({ ocspUrl: lab.server.url(PATH.ocspSlow) }),
    });
    expect(await checker.check(subjectOf(lab.certs.ocspOnly), new Date())).toMatchObject({
      code: "deadline",
    });
    await checker.close();
    expect(events).toContainEqual(expect.objectContaining({ type: "fetch", outcome: "aborted" }));
  });

  it("answers good without asking anyone when disabled", async () => {
    const { checker } = checkerWith({ enabled: false });
    expect(await checker.check(subjectOf(lab.certs.revokedKeyCompromise), new Date())).toEqual({
      status: "good",
      source: "disabled",
    });
    expect(lab.server.hits(PATH.ocsp)).toBe(0);
  });

  it("takes a pino logger as its logger", () => {
    const logger: RevocationLogger = pino({ enabled: false });
    expect(typeof logger.warn).toBe("function");
  });
});
