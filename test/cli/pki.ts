import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type IssuedCertificate, issueCertificate, psd2Roles } from "../../src/demo/certificate_factory.js";
import type { Psd2Role } from "../../src/qwac/qwac.js";

/**
 * The certificates the CLI tests inspect, one file per case and named for it, written to a temp dir:
 * a QTSP (root + issuing CA), QWACs per role, an expired one, a QSealC, one from an unknown QTSP, and a
 * bundle (leaf + issuing CA).
 */
export interface CliPki {
  readonly root: IssuedCertificate;
  readonly intermediate: IssuedCertificate;
  readonly ai: IssuedCertificate;
  readonly pi: IssuedCertificate;
  readonly expired: IssuedCertificate;
  /** The file of each case. */
  readonly files: Readonly<Record<CliCase, string>>;
}

export type CliCase =
  | "root"
  | "intermediates"
  | "ai"
  | "aiDer"
  | "pi"
  | "expired"
  | "qseal"
  | "untrusted"
  | "bundle"
  | "key";

export const DAY_MS = 86_400_000;

/** Written into the AIA/CDP/PDS of the PSP_AI QWAC; never fetched (revocation is off where it is used). */
export const AI_URLS = {
  ocsp: "http://ocsp.qtsp.example/ocsp",
  caIssuers: "http://pki.qtsp.example/ca.cer",
  crl: "http://pki.qtsp.example/ca.crl",
  pds: "https://pki.qtsp.example/pds-en.pdf",
} as const;

export const QEVCP_W = "0.4.0.194112.1.4";

export async function writeCliPki(dir: string): Promise<CliPki> {
  const now = Date.now();
  const root = await issueCertificate({ subject: "CN=Test QTSP Root, O=Test QTSP, C=EU", isCa: true });
  const intermediate = await issueCertificate({
    subject: "CN=Test QTSP QWAC CA, O=Test QTSP, C=EU",
    issuer: root,
    isCa: true,
    pathLen: 0,
  });
  const ai = await issueCertificate({
    ...tpp("PSDFR-ACPR-12345", "Account Info SAS", ["PSP_AI"]),
    issuer: intermediate,
    keyAlg: "RSA-2048",
    aiaOcspUrl: AI_URLS.ocsp,
    aiaCaIssuersUrl: AI_URLS.caIssuers,
    crlDistributionPointUrl: AI_URLS.crl,
    policies: [QEVCP_W],
    qc: { types: ["web"], pdsUrl: AI_URLS.pds, psd2: psd2("FR-ACPR", ["PSP_AI"]) },
  });
  const pi = await issueCertificate({
    ...tpp("PSDDE-BAFIN-20002", "Payments GmbH", ["PSP_PI"]),
    issuer: intermediate,
  });
  const expired = await issueCertificate({
    ...tpp("PSDFR-ACPR-40004", "Expired SAS", ["PSP_AI"]),
    issuer: intermediate,
    notBefore: new Date(now - 400 * DAY_MS),
    notAfter: new Date(now - 35 * DAY_MS),
  });
  const qseal = await issueCertificate({
    ...tpp("PSDFR-ACPR-50005", "Seal SAS", ["PSP_AI"]),
    issuer: intermediate,
    qc: { types: ["eseal"], psd2: psd2("FR-ACPR", ["PSP_AI"]) },
  });
  const otherRoot = await issueCertificate({ subject: "CN=Unknown QTSP Root, O=Unknown, C=EU", isCa: true });
  const untrusted = await issueCertificate({
    ...tpp("PSDFR-ACPR-60006", "Elsewhere SAS", ["PSP_AI"]),
    issuer: otherRoot,
  });

  const files = {
    root: write(dir, "root.pem", root.pem),
    intermediates: write(dir, "intermediates.pem", intermediate.pem),
    ai: write(dir, "ai.pem", ai.pem),
    aiDer: write(dir, "ai.der", Buffer.from(ai.cert.rawData)),
    pi: write(dir, "pi.pem", pi.pem),
    expired: write(dir, "expired.pem", expired.pem),
    qseal: write(dir, "qseal.pem", qseal.pem),
    untrusted: write(dir, "untrusted.pem", untrusted.pem),
    bundle: write(dir, "bundle.pem", `${ai.pem}\n${intermediate.pem}`),
    key: write(dir, "ai.key", ai.keyPem),
  };
  return { root, intermediate, ai, pi, expired, files };
}

/** Subject and PSD2 statement of a TPP's QWAC; the NCA id comes from the organizationIdentifier. */
export function tpp(orgId: string, name: string, roles: Psd2Role[]) {
  const country = orgId.slice(3, 5);
  const nca = `${country}-${orgId.split("-")[1]}`;
  return {
    subject: `CN=${name.toLowerCase().replace(/\W+/g, "-")}.example, O=${name}, 2.5.4.97=${orgId}, C=${country}`,
    qc: { types: ["web" as const], psd2: psd2(nca, roles) },
  };
}

function psd2(ncaId: string, roles: Psd2Role[]) {
  return { roles: psd2Roles(...roles), ncaName: `NCA ${ncaId}`, ncaId };
}

export function write(dir: string, name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}
