import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../foundation/project_root.js";
import type { Psd2Role } from "../qwac/qwac.js";
import { type IssuedCertificate, issueCertificate, psd2Roles } from "./certificate_factory.js";

/** Where `npm start` keeps the generated demo PKI (git-ignored). */
export const DEMO_PKI_DIR = join(PROJECT_ROOT, "demo", "pki");

const DAY_MS = 86_400_000;

/** The demo TPPs: one per role, one with all roles, and the cases a demo should show being refused. */
export const DEMO_TPPS = {
  "tpp-ai": { roles: ["PSP_AI"], org: "PSDFR-ACPR-10001", name: "Demo Account Info SAS", nca: "FR-ACPR" },
  "tpp-pi": { roles: ["PSP_PI"], org: "PSDDE-BAFIN-20002", name: "Demo Payments GmbH", nca: "DE-BAFIN" },
  "tpp-ic": { roles: ["PSP_IC"], org: "PSDNL-DNB-30003", name: "Demo Funds Check BV", nca: "NL-DNB" },
  "tpp-all": {
    roles: ["PSP_AS", "PSP_PI", "PSP_AI", "PSP_IC"],
    org: "PSDBE-NBB-0123.456.789",
    name: "Demo Universal SA",
    nca: "BE-NBB",
  },
  "tpp-expired": { roles: ["PSP_AI"], org: "PSDFR-ACPR-40004", name: "Demo Expired SAS", nca: "FR-ACPR" },
  "tpp-qseal": { roles: ["PSP_AI"], org: "PSDFR-ACPR-50005", name: "Demo Seal SAS", nca: "FR-ACPR" },
} as const satisfies Record<string, { roles: readonly Psd2Role[]; org: string; name: string; nca: string }>;

export type DemoTppName = keyof typeof DEMO_TPPS;

export interface DemoPki {
  readonly root: IssuedCertificate;
  readonly intermediate: IssuedCertificate;
  readonly tpps: Readonly<Record<DemoTppName, IssuedCertificate>>;
}

/** A QWAC like the others, from a CA on no trusted list: the demo's CERT_ISSUER_NOT_LISTED. */
export const DEMO_UNLISTED_TPP = "tpp-unlisted";

async function createUnlistedQwac(now: Date): Promise<IssuedCertificate> {
  const validity = {
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 365 * DAY_MS),
  };
  const ca = await issueCertificate({
    subject: "CN=Demo Unlisted QWAC CA, O=Demo Unlisted CA, C=EU",
    isCa: true,
    ...validity,
  });
  return issueCertificate({
    subject: `CN=${DEMO_UNLISTED_TPP}.demo.example, O=Demo Unlisted SAS, 2.5.4.97=PSDFR-ACPR-60006, C=FR`,
    issuer: ca,
    ...validity,
    subjectAltNames: [`${DEMO_UNLISTED_TPP}.demo.example`],
    qc: {
      types: ["web"],
      psd2: { roles: psd2Roles("PSP_AI"), ncaName: "Demo NCA FR-ACPR", ncaId: "FR-ACPR" },
    },
  });
}

/** A demo QTSP (root + issuing CA) and one QWAC per demo TPP, valid around `now`. */
export async function createDemoPki(now: Date = new Date()): Promise<DemoPki> {
  const root = await issueCertificate({
    subject: "CN=Demo QTSP Root CA, O=Demo QTSP, C=EU",
    keyAlg: "P-384",
    isCa: true,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
  });
  const intermediate = await issueCertificate({
    subject: "CN=Demo QTSP QWAC CA, O=Demo QTSP, C=EU",
    issuer: root,
    keyAlg: "P-256",
    isCa: true,
    pathLen: 0,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 1825 * DAY_MS),
  });
  const tpps = {} as Record<DemoTppName, IssuedCertificate>;
  for (const [name, tpp] of Object.entries(DEMO_TPPS) as [DemoTppName, (typeof DEMO_TPPS)[DemoTppName]][]) {
    const expired = name === "tpp-expired";
    tpps[name] = await issueCertificate({
      subject: `CN=${name}.demo.example, O=${tpp.name}, 2.5.4.97=${tpp.org}, C=${tpp.org.slice(3, 5)}`,
      issuer: intermediate,
      keyAlg: "P-256",
      notBefore: new Date(now.getTime() - (expired ? 400 : 1) * DAY_MS),
      notAfter: new Date(now.getTime() + (expired ? -35 : 365) * DAY_MS),
      subjectAltNames: [`${name}.demo.example`],
      qc: {
        types: [name === "tpp-qseal" ? "eseal" : "web"],
        psd2: { roles: psd2Roles(...tpp.roles), ncaName: `Demo NCA ${tpp.nca}`, ncaId: tpp.nca },
      },
    });
  }
  return { root, intermediate, tpps };
}

/** Writes the demo PKI on first run; an existing one is kept so certificates stay stable between runs. */
export async function ensureDemoPki(dir: string = DEMO_PKI_DIR): Promise<void> {
  // Added with the demo trusted lists: a demo PKI from before them gets this one certificate more.
  if (!existsSync(join(dir, `${DEMO_UNLISTED_TPP}.pem`))) {
    mkdirSync(dir, { recursive: true });
    const unlisted = await createUnlistedQwac(new Date());
    writeFileSync(join(dir, `${DEMO_UNLISTED_TPP}.pem`), unlisted.pem);
    writeFileSync(join(dir, `${DEMO_UNLISTED_TPP}.key`), unlisted.keyPem, { mode: 0o600 });
  }
  if (existsSync(join(dir, "root.pem"))) return;
  const pki = await createDemoPki();
  writeFileSync(join(dir, "root.pem"), pki.root.pem);
  writeFileSync(join(dir, "intermediates.pem"), pki.intermediate.pem);
  for (const [name, issued] of Object.entries(pki.tpps)) {
    writeFileSync(join(dir, `${name}.pem`), issued.pem);
    writeFileSync(join(dir, `${name}.key`), issued.keyPem, { mode: 0o600 });
  }
}
