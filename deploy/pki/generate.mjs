// The demo QTSP of the compose stack: the same root, issuing CA and TPP QWACs as `npm start` makes
// (src/demo/demo_pki.ts), plus `tpp-revoked`, a QWAC the demo OCSP responder reports as revoked.
//
// Usage: node deploy/pki/generate.mjs <qtsp-dir> <issuing-ca-key-file>
//
// Why not ensureDemoPki(dir): it throws the issuing CA's key away, and the OCSP responder certificate must
// be issued by that CA (RFC 6960 4.2.2.2: a delegated responder is certified by the CA that issued the
// certificate in question). The key is written to a separate path that generate.sh deletes once the
// responder certificate is signed, so it never lands in the shared volume.
import "reflect-metadata";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const DAY_MS = 86_400_000;

// The compiled service (dist/src) in the image. Tests point this at src/ and run node with `--import tsx`.
const modules = process.env.GATEKEEPER_MODULES ?? fileURLToPath(new URL("../../dist/src/", import.meta.url));
const load = (path) => import(pathToFileURL(join(modules, path)).href);
const { createDemoPki } = await load("demo/demo_pki.js");
const { issueCertificate, psd2Roles } = await load("demo/certificate_factory.js");

const [qtspDir, caKeyFile] = process.argv.slice(2);
if (qtspDir === undefined || caKeyFile === undefined) {
  process.stderr.write("usage: node generate.mjs <qtsp-dir> <issuing-ca-key-file>\n");
  process.exit(2);
}

const now = new Date();
const pki = await createDemoPki(now);
const revoked = await issueCertificate({
  subject: "CN=tpp-revoked.demo.example, O=Demo Revoked SAS, 2.5.4.97=PSDFR-ACPR-60006, C=FR",
  issuer: pki.intermediate,
  keyAlg: "P-256",
  notBefore: new Date(now.getTime() - DAY_MS),
  notAfter: new Date(now.getTime() + 365 * DAY_MS),
  subjectAltNames: ["tpp-revoked.demo.example"],
  qc: { types: ["web"], psd2: { roles: psd2Roles("PSP_AI"), ncaName: "Demo NCA FR-ACPR", ncaId: "FR-ACPR" } },
});

// The same file names as ensureDemoPki, so configs written for `npm start` read this folder unchanged.
const dir = resolve(qtspDir);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "root.pem"), pki.root.pem);
writeFileSync(join(dir, "intermediates.pem"), pki.intermediate.pem);
for (const [name, issued] of [...Object.entries(pki.tpps), ["tpp-revoked", revoked]]) {
  writeFileSync(join(dir, `${name}.pem`), issued.pem);
  writeFileSync(join(dir, `${name}.key`), issued.keyPem, { mode: 0o600 });
}
writeFileSync(resolve(caKeyFile), pki.intermediate.keyPem, { mode: 0o600 });
process.stdout.write(`pki: demo QTSP written to ${dir}\n`);
