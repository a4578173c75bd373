import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsnConvert } from "@peculiar/asn1-schema";
import { DistributionPointName, GeneralName, IssuingDistributionPoint } from "@peculiar/asn1-x509";
import { Extension, X509CrlGenerator, type X509CrlReason } from "@peculiar/x509";
import type { RevocationSubject } from "../../src/revocation/revocation.js";
import { prepareSubject } from "../../src/revocation/subject.js";
import {
  closedPortUrl,
  type IssuedCert,
  killRunningOpenssl,
  LoopbackServer,
  OpensslCa,
  openssl,
} from "../support/openssl_ca.js";

/**
 * The revocation test bed: an openssl CA with one certificate per case (named for it), a rogue CA with
 * the same name, their OCSP responders and CRL on one loopback server, and routes that misbehave.
 */

export const CA_SUBJECT = "/C=FR/O=Test QTSP/CN=Test QTSP CA";

/** Route paths; the CA writes `ocsp` and `crl` into the AIA and CDP of what it issues. */
export const PATH = {
  ocsp: "/ocsp",
  ocspShortLived: "/ocsp/short",
  ocspSignedByCa: "/ocsp/ca",
  ocspRogueSigner: "/ocsp/rogue",
  ocspSignerWithoutEku: "/ocsp/no-eku",
  ocspCheckedResponder: "/ocsp/checked",
  ocspRevokedResponder: "/ocsp/revoked-responder",
  ocspHttp500: "/ocsp/500",
  ocspGarbage: "/ocsp/garbage",
  ocspSlow: "/ocsp/slow",
  crl: "/crl/ca.crl",
} as const;

/** The slow route answers after this; tests set timeoutMs far below it. */
export const SLOW_MS = 3_000;

export interface LabCerts {
  readonly good: IssuedCert;
  readonly revokedKeyCompromise: IssuedCert;
  readonly onHold: IssuedCert;
  /** Signed by the CA but absent from its database. */
  readonly unknownToResponder: IssuedCert;
  /** AIA only, no CDP: OCSP failures cannot be rescued by the CRL. */
  readonly ocspOnly: IssuedCert;
  readonly crlOnlyGood: IssuedCert;
  readonly crlOnlyRevoked: IssuedCert;
  readonly delegatedResponder: IssuedCert;
  /** No id-pkix-ocsp-nocheck: its own revocation is looked up in the CRL. */
  readonly checkedResponder: IssuedCert;
  readonly revokedResponder: IssuedCert;
  /** Issued by the rogue CA, which has the real CA's name but not its key. */
  readonly rogueResponder: IssuedCert;
}

export interface RevocationLab {
  readonly server: LoopbackServer;
  readonly ca: OpensslCa;
  readonly rogueCa: OpensslCa;
  readonly certs: LabCerts;
  /** The CA's current CRL (DER), served at PATH.crl. */
  readonly crl: Uint8Array;
  /** http://127.0.0.1:<closed port>/ocsp: a responder that is down. */
  readonly downUrl: string;
  subject(cert: IssuedCert): RevocationSubject;
  close(): Promise<void>;
}

export async function startRevocationLab(): Promise<RevocationLab> {
  const dir = await mkdtemp(join(tmpdir(), "revocation-lab-"));
  const server = await LoopbackServer.start();
  try {
    const urls = { ocspUrl: server.url(PATH.ocsp), crlUrl: server.url(PATH.crl) };
    const ca = await OpensslCa.create(join(dir, "ca"), { subject: CA_SUBJECT, ...urls });
    const rogueCa = await OpensslCa.create(join(dir, "rogue"), { subject: CA_SUBJECT, ...urls });
    const certs = await issueCerts(ca, rogueCa);
    const crl = await ca.crl({ hours: 24 });
    routeAll(server, ca, certs, crl);
    return {
      server,
      ca,
      rogueCa,
      certs,
      crl,
      downUrl: await closedPortUrl(PATH.ocsp),
      subject: (cert) => subjectOf(cert, ca),
      close: async () => {
        await server.close();
        killRunningOpenssl();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.close();
    killRunningOpenssl();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function issueCerts(ca: OpensslCa, rogueCa: OpensslCa): Promise<LabCerts> {
  const certs: LabCerts = {
    good: await ca.issue("good", "leaf-ocsp-crl"),
    revokedKeyCompromise: await ca.issue("revoked-key-compromise", "leaf-ocsp-crl"),
    onHold: await ca.issue("on-hold", "leaf-ocsp-crl"),
    unknownToResponder: await ca.issueUnrecorded("unknown-to-responder", "leaf-ocsp-only"),
    ocspOnly: await ca.issue("ocsp-only", "leaf-ocsp-only"),
    crlOnlyGood: await ca.issue("crl-only-good", "leaf-crl-only"),
    crlOnlyRevoked: await ca.issue("crl-only-revoked", "leaf-crl-only"),
    delegatedResponder: await ca.issue("delegated-responder", "ocsp-responder"),
    checkedResponder: await ca.issue("checked-responder", "ocsp-responder-checked"),
    revokedResponder: await ca.issue("revoked-responder", "ocsp-responder-checked"),
    rogueResponder: await rogueCa.issue("rogue-responder", "ocsp-responder"),
  };
  await ca.revoke(certs.revokedKeyCompromise, "keyCompromise");
  await ca.revoke(certs.onHold, "hold");
  await ca.revoke(certs.crlOnlyRevoked, "superseded");
  await ca.revoke(certs.revokedResponder, "keyCompromise");
  return certs;
}

function routeAll(server: LoopbackServer, ca: OpensslCa, certs: LabCerts, crl: Uint8Array): void {
  const delegated = {
    kind: "ocsp",
    ca,
    signing: { signer: certs.delegatedResponder, nextUpdateMinutes: 60 },
  } as const;
  server.route(PATH.ocsp, delegated);
  server.route(PATH.ocspShortLived, {
    kind: "ocsp",
    ca,
    signing: { signer: certs.delegatedResponder, nextUpdateMinutes: 1 },
  });
  // CA-signed, responderID byKey, no nextUpdate: three variations in one responder.
  server.route(PATH.ocspSignedByCa, {
    kind: "ocsp",
    ca,
    signing: { signer: ca.cert, responderIdByKey: true },
  });
  server.route(PATH.ocspRogueSigner, {
    kind: "ocsp",
    ca,
    signing: { signer: certs.rogueResponder, nextUpdateMinutes: 60 },
  });
  server.route(PATH.ocspSignerWithoutEku, {
    kind: "ocsp",
    ca,
    signing: { signer: certs.good, nextUpdateMinutes: 60 },
  });
  server.route(PATH.ocspCheckedResponder, {
    kind: "ocsp",
    ca,
    signing: { signer: certs.checkedResponder, nextUpdateMinutes: 60 },
  });
  server.route(PATH.ocspRevokedResponder, {
    kind: "ocsp",
    ca,
    signing: { signer: certs.revokedResponder, nextUpdateMinutes: 60 },
  });
  server.route(PATH.ocspHttp500, { kind: "status", status: 500 });
  server.route(PATH.ocspGarbage, {
    kind: "bytes",
    body: new TextEncoder().encode("<html>not an OCSP response</html>"),
    contentType: "application/ocsp-response",
  });
  server.route(PATH.ocspSlow, { kind: "delay", ms: SLOW_MS, next: delegated });
  server.route(PATH.crl, { kind: "bytes", body: crl, contentType: "application/pkix-crl" });
}

/** How a responder that answered before stops answering. */
export type ResponderFailure = "down" | "http-500" | "garbage" | "slow";

/** A responder of the lab's CA on its own loopback server, which a test can make fail at any time. */
export interface FlakyResponder {
  readonly url: string;
  hits(): number;
  fail(how: ResponderFailure): Promise<void>;
  close(): Promise<void>;
}

export async function startFlakyResponder(lab: RevocationLab): Promise<FlakyResponder> {
  const server = await LoopbackServer.start();
  const answering = {
    kind: "ocsp",
    ca: lab.ca,
    signing: { signer: lab.certs.delegatedResponder, nextUpdateMinutes: 60 },
  } as const;
  server.route(PATH.ocsp, answering);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  return {
    url: server.url(PATH.ocsp),
    hits: () => server.hits(PATH.ocsp),
    close,
    fail: async (how) => {
      if (how === "down") return close();
      if (how === "http-500") server.route(PATH.ocsp, { kind: "status", status: 500 });
      if (how === "garbage") {
        server.route(PATH.ocsp, {
          kind: "bytes",
          body: new TextEncoder().encode("<html>not an OCSP response</html>"),
          contentType: "application/ocsp-response",
        });
      }
      if (how === "slow") server.route(PATH.ocsp, { kind: "delay", ms: SLOW_MS, next: answering });
    },
  };
}

function subjectOf(cert: IssuedCert, ca: OpensslCa): RevocationSubject {
  const prepared = prepareSubject(cert.cert, ca.cert.cert);
  if (!prepared.ok) throw new Error(`prepareSubject(${cert.name}): ${prepared.error.detail}`);
  return prepared.value;
}

const HOUR = 3_600_000;

/**
 * A CRL signed with the lab CA's real key by @peculiar/x509, for extensions `openssl ca` cannot write
 * (delta, scoped), listing `entries` (serial hex and reason).
 */
export async function labCrl(
  lab: RevocationLab,
  options: { extensions?: Extension[]; entries?: { serialHex: string; reason: X509CrlReason }[] } = {},
): Promise<Uint8Array> {
  const pkcs8 = await openssl(
    ["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in", lab.ca.cert.keyPath],
    "/",
  );
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const signingKey = await crypto.subtle.importKey("pkcs8", new Uint8Array(pkcs8), algorithm, false, [
    "sign",
  ]);
  const crl = await X509CrlGenerator.create({
    issuer: lab.ca.cert.cert.subject,
    thisUpdate: new Date(Date.now() - HOUR),
    nextUpdate: new Date(Date.now() + HOUR),
    signingAlgorithm: algorithm,
    signingKey,
    extensions: options.extensions ?? [],
    entries: (options.entries ?? []).map((entry) => ({
      serialNumber: entry.serialHex,
      revocationDate: new Date(Date.now() - HOUR),
      reason: entry.reason,
    })),
  });
  return new Uint8Array(crl.rawData);
}

/** An issuingDistributionPoint extension scoping a CRL to these URIs. */
export function scopedTo(...uris: string[]): Extension {
  const idp = new IssuingDistributionPoint({
    distributionPoint: new DistributionPointName({
      fullName: uris.map((uri) => new GeneralName({ uniformResourceIdentifier: uri })),
    }),
  });
  return new Extension("2.5.29.28", true, AsnConvert.serialize(idp));
}
