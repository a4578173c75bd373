/**
 * Child process of bench/memory.bench.ts: fills the certificate caches with `count` distinct QWACs
 * (verified for real: parse, QC statements, chain signature) and prints RSS as JSON.
 * Certificates are variants of one template re-signed with a new serial (pkijs), so making 100,000 of
 * them takes seconds rather than minutes; each is still a distinct, validly signed certificate.
 */
import "reflect-metadata";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { createDemoPki } from "../src/demo/demo_pki.js";
import { PeerCertificates } from "../src/source/peer_certificate.js";
import { trustStoreFromCertificates } from "../src/trust/trust_store.js";
import { VerifiedCertificates } from "../src/verified_certificates.js";

const count = Number(process.argv[2] ?? "100000");
const maxEntries = Number(process.argv[3] ?? String(count));

async function main(): Promise<void> {
  const pki = await createDemoPki();
  const template = pkijs.Certificate.fromBER(new Uint8Array(pki.tpps["tpp-all"].cert.rawData));
  const signer = pki.intermediate.keys.privateKey;
  const now = () => new Date();
  const peers = new PeerCertificates(16_384, maxEntries);
  const verified = new VerifiedCertificates({
    trust: trustStoreFromCertificates([pki.root.cert], [pki.intermediate.cert]),
    qwac: { acceptEseal: false },
    headerPrefix: "x-tpp-",
    maxEntries,
    denialTtlMs: 60_000,
    now,
  });
  global.gc?.();
  const before = process.memoryUsage().rss;
  let allowed = 0;
  for (let i = 0; i < count; i++) {
    const serial = new Uint8Array(16);
    new DataView(serial.buffer).setUint32(12, i + 1);
    serial[0] = 0x40;
    template.serialNumber = new asn1js.Integer({ valueHex: serial.buffer });
    await template.sign(signer, "SHA-256");
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(template.toSchema(true).toBER()).toString("base64")}\n-----END CERTIFICATE-----\n`;
    const input = {
      requestId: "",
      method: "GET",
      rawPath: "/",
      host: "",
      headers: new Map<string, string>(),
      peer: { address: undefined, principal: undefined, certificate: encodeURIComponent(pem) },
      sni: undefined,
      contextExtensions: {},
    };
    const presented = peers.read(input);
    if (presented?.ok && (await verified.verify(presented.value)).ok) allowed++;
  }
  global.gc?.();
  const after = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ count, maxEntries, allowed, cached: verified.size, rssBefore: before, rss: after.rss, heapUsed: after.heapUsed })}\n`,
  );
}

void main();
