import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import { PROJECT_ROOT } from "../foundation/project_root.js";
import { issueCertificate } from "./certificate_factory.js";
import { DEMO_PKI_DIR } from "./demo_pki.js";
import { ASI, STATUS } from "./tsl_document.js";
import { signTslInJs } from "./tsl_signing.js";

/**
 * The demo's trusted lists: a LOTL signed by a demo "Official Journal" LOTL signer, pointing at one demo
 * Member State list that names the demo QTSP's issuing CA as a granted CA/QC service for website
 * authentication. Written where `trust.trustedLists.cacheDir` of config/demo.yaml points, so the service
 * loads them at start as its last verified copies: no network, no xmlsec1, node alone.
 */
export const DEMO_LISTS_DIR = join(PROJECT_ROOT, "demo", "lists");

/** ISO 3166-1 user-assigned code: a territory no real list uses, so the demo is never mistaken for one. */
export const DEMO_TERRITORY = "ZZ";
export const DEMO_TSP = "Demo QTSP";
export const DEMO_SERVICE = "Demo QTSP QWAC CA";

const DAY_MS = 86_400_000;
/** ETSI TS 119 612 §5.3.15: a Member State list's NextUpdate is at most six months after its issue. */
const VALID_DAYS = 180;
const GRANTED_FOR_DAYS = 3650;

/** File names under the lists directory, as the store reads them (store.ts cachePath). */
export const DEMO_LIST_FILES = {
  signers: "lotl-signers.pem",
  lotl: "lotl.xml",
  tl: join("tl", `${DEMO_TERRITORY}.xml`),
} as const;

function writeAtomically(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/**
 * Issues the demo lists afresh (new signer keys, dates around `now`, a growing sequence number) from the
 * demo PKI's issuing CA. Run at every `npm start`, so the lists never go stale and no list signing key
 * is kept on disk: only the LOTL signer's certificate is, as `lotlSigners`.
 */
export async function writeDemoLists(
  pkiDir: string = DEMO_PKI_DIR,
  dir: string = DEMO_LISTS_DIR,
  now: Date = new Date(),
): Promise<void> {
  const qwacCa = new X509Certificate(readFileSync(join(pkiDir, "intermediates.pem"), "utf8"));
  const signerValidity = {
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 2 * VALID_DAYS * DAY_MS),
  };
  const ojSigner = await issueCertificate({
    subject: "CN=Demo Official Journal LOTL signer, O=Demo European Commission, C=EU",
    ...signerValidity,
  });
  const tlSigner = await issueCertificate({
    subject: `CN=Demo ${DEMO_TERRITORY} trusted list signer, O=Demo supervisory body, C=${DEMO_TERRITORY}`,
    ...signerValidity,
  });
  const lotlPath = join(dir, DEMO_LIST_FILES.lotl);
  const tlPath = join(dir, DEMO_LIST_FILES.tl);
  const dates = {
    sequence: Math.floor(now.getTime() / 60_000),
    issued: now,
    nextUpdate: new Date(now.getTime() + VALID_DAYS * DAY_MS),
  };
  const lotl = await signTslInJs(
    {
      territory: "EU",
      ...dates,
      pointers: [
        { location: lotlPath, territory: "EU", signers: [ojSigner.cert], lotl: true },
        { location: tlPath, territory: DEMO_TERRITORY, signers: [tlSigner.cert] },
      ],
    },
    ojSigner,
  );
  const tl = await signTslInJs(
    {
      territory: DEMO_TERRITORY,
      ...dates,
      providers: [
        {
          name: DEMO_TSP,
          services: [
            {
              name: DEMO_SERVICE,
              ca: qwacCa,
              status: STATUS("granted"),
              // Granted long before any demo certificate: tpp-expired is back-dated 400 days, and a
              // status that starts after a notBefore would make it "not qualified", not "expired".
              since: new Date(now.getTime() - GRANTED_FOR_DAYS * DAY_MS),
              asi: [ASI("ForWebSiteAuthentication")],
            },
          ],
        },
      ],
    },
    tlSigner,
  );
  mkdirSync(join(dir, "tl"), { recursive: true });
  writeAtomically(join(dir, DEMO_LIST_FILES.signers), ojSigner.pem);
  writeAtomically(tlPath, tl);
  writeAtomically(lotlPath, lotl);
}
