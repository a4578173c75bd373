import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import {
  type IssuedCert,
  killRunningOpenssl,
  LoopbackServer,
  OpensslCa,
  openssl,
} from "../support/openssl_ca.js";

/**
 * A two-level openssl hierarchy for chain revocation: a root CA, and an issuing CA whose certificate the
 * root signs with `openssl ca` (a CRL distribution point to the root's CRL, no OCSP URL). Both CRLs come
 * from `openssl ca -gencrl` and are served on one loopback server.
 */

export const ROOT_SUBJECT = "/C=FR/O=Test QTSP/CN=Test QTSP Root CA";
export const ISSUING_SUBJECT = "/C=FR/O=Test QTSP/CN=Test QTSP Issuing CA";

export const CHAIN_PATH = { rootCrl: "/root/ca.crl", issuingCrl: "/issuing/ca.crl" } as const;

export interface ChainLab {
  readonly dir: string;
  readonly server: LoopbackServer;
  readonly root: OpensslCa;
  /** Its key and database; its ca.pem is the certificate the root signed. */
  readonly issuing: OpensslCa;
  /** The issuing CA's certificate as the root issued it (recorded in the root's index.txt). */
  readonly issuingCert: IssuedCert;
  /** Serves the current CRLs of both CAs (DER), generated now. */
  serveCrls(): Promise<{ root: Uint8Array; issuing: Uint8Array }>;
  /** `openssl ca -revoke` of the issuing CA's certificate at the root, reason cACompromise. */
  revokeIssuingCa(): Promise<void>;
  close(): Promise<void>;
}

export async function startChainLab(): Promise<ChainLab> {
  const dir = await mkdtemp(join(tmpdir(), "revocation-chain-"));
  const server = await LoopbackServer.start();
  try {
    const root = await OpensslCa.create(join(dir, "root"), {
      subject: ROOT_SUBJECT,
      ocspUrl: server.url("/root/ocsp"),
      crlUrl: server.url(CHAIN_PATH.rootCrl),
    });
    const issuing = await OpensslCa.create(join(dir, "issuing"), {
      subject: ISSUING_SUBJECT,
      ocspUrl: server.url("/issuing/ocsp"),
      crlUrl: server.url(CHAIN_PATH.issuingCrl),
    });
    const issuingCert = await signIssuingCa(dir, server.url(CHAIN_PATH.rootCrl));
    const serveCrls = async () => {
      const crls = { root: await root.crl({ hours: 24 }), issuing: await issuing.crl({ hours: 24 }) };
      server.route(CHAIN_PATH.rootCrl, {
        kind: "bytes",
        body: crls.root,
        contentType: "application/pkix-crl",
      });
      server.route(CHAIN_PATH.issuingCrl, {
        kind: "bytes",
        body: crls.issuing,
        contentType: "application/pkix-crl",
      });
      return crls;
    };
    return {
      dir,
      server,
      root,
      issuing,
      issuingCert,
      serveCrls,
      revokeIssuingCa: async () => {
        await openssl(
          ["ca", "-config", "openssl.cnf", "-revoke", issuingCert.certPath, "-crl_reason", "CACompromise"],
          join(dir, "root"),
        );
      },
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

/** The root signs the issuing CA's key (`openssl ca`), and that certificate replaces its self-signed one. */
async function signIssuingCa(dir: string, rootCrlUrl: string): Promise<IssuedCert> {
  const rootDir = join(dir, "root");
  const issuingDir = join(dir, "issuing");
  await openssl(
    ["req", "-new", "-config", "openssl.cnf", "-key", "ca.key", "-subj", ISSUING_SUBJECT, "-out", "ca.csr"],
    issuingDir,
  );
  await writeFile(
    join(rootDir, "issuing_ext.cnf"),
    [
      "[ v3_issuing ]",
      "basicConstraints = critical, CA:TRUE, pathlen:0",
      "keyUsage = critical, keyCertSign, cRLSign",
      "subjectKeyIdentifier = hash",
      "authorityKeyIdentifier = keyid",
      `crlDistributionPoints = URI:${rootCrlUrl}`,
      "",
    ].join("\n"),
  );
  await openssl(
    [
      "ca",
      "-batch",
      "-config",
      "openssl.cnf",
      "-extfile",
      "issuing_ext.cnf",
      "-extensions",
      "v3_issuing",
      "-rand_serial",
      "-notext",
      "-days",
      "365",
      "-in",
      join(issuingDir, "ca.csr"),
      "-out",
      "issuing.pem",
    ],
    rootDir,
  );
  const pem = (await openssl(["x509", "-in", "issuing.pem"], rootDir)).toString("utf8");
  await writeFile(join(issuingDir, "ca.pem"), pem);
  return {
    name: "issuing",
    certPath: join(rootDir, "issuing.pem"),
    keyPath: join(issuingDir, "ca.key"),
    pem,
    cert: new X509Certificate(pem),
  };
}

/** PEM of a DER CRL, for `openssl verify -CRLfile`. */
export function crlPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN X509 CRL-----\n${lines.join("\n")}\n-----END X509 CRL-----\n`;
}
