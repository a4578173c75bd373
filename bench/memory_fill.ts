/**
 * Child process of bench/memory.bench.ts: fills the certificate caches with `count` distinct QWACs
 * (verified for real: parse, QC statements, chain signature) and prints RSS as JSON.
 * Certificates are variants of one template: a new serial written into its TBS, signed again by the demo
 * issuing CA with node:crypto, so making 100,000 of them is cheap; each is a distinct, validly signed
 * certificate that the service parses and verifies in full.
 */
import "reflect-metadata";
import { createPrivateKey, sign } from "node:crypto";
import { createDemoPki } from "../src/demo/demo_pki.js";
import { VerifiedCertificates } from "../src/pipeline/verified_certificates.js";
import { PeerCertificates } from "../src/source/decoding/peer_certificate.js";
import { certificateParts } from "../src/trust/certificate_der.js";
import { trustStoreFromCertificates } from "../src/trust/trust_store.js";

const count = Number(process.argv[2] ?? "100000");
const maxEntries = Number(process.argv[3] ?? String(count));
/** The `cache.maxBytes` budget, split as the service splits it; by default large enough not to bind. */
const maxBytes = Number(process.argv[4] ?? String(2 ** 40));
const WARM_UP = 500;

async function main(): Promise<void> {
  const pki = await createDemoPki();
  const template = certificateParts(new Uint8Array(pki.tpps["tpp-all"].cert.rawData));
  if (template === undefined || template.serial.length < 8) throw new Error("unexpected template");
  const tbs = Buffer.from(template.tbs);
  const at = Buffer.from(template.tbs).indexOf(Buffer.from(template.serial));
  const algorithm = Buffer.from(new Uint8Array(pki.tpps["tpp-all"].cert.rawData)).subarray(
    tbsEnd(pki.tpps["tpp-all"].cert.rawData),
  );
  const signer = createPrivateKey({ key: pki.intermediate.keyPem, format: "pem" });
  const now = () => new Date();
  const cachesOf = (entries: number) => ({
    peers: new PeerCertificates(16_384, { maxEntries: entries, maxBytes: Math.floor(maxBytes / 2) }),
    verified: new VerifiedCertificates({
      trust: trustStoreFromCertificates([pki.root.cert], [pki.intermediate.cert]),
      qwac: { acceptEseal: false },
      headerPrefix: "x-tpp-",
      maxEntries: entries,
      maxBytes: Math.floor(maxBytes / 2),
      denialTtlMs: 60_000,
    }),
  });
  /** Presents `n` distinct certificates (serials from `first`); returns how many were allowed. */
  const fill = async (caches: ReturnType<typeof cachesOf>, first: number, n: number): Promise<number> => {
    let allowed = 0;
    for (let i = first; i < first + n; i++) {
      tbs.writeUInt32BE(i + 1, at + template.serial.length - 4);
      const pem = `-----BEGIN CERTIFICATE-----\n${certificate(tbs, algorithm, sign("sha256", tbs, signer)).toString("base64")}\n-----END CERTIFICATE-----\n`;
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
      const presented = caches.peers.read(input);
      if (presented?.ok && (await caches.verified.verify(presented.value, now())).ok) allowed++;
    }
    return allowed;
  };
  // Warm-up in caches that are then dropped: lazily loaded modules and compiled code would otherwise be
  // counted as if the cached certificates held them.
  await fill(cachesOf(WARM_UP), count, WARM_UP);
  const { verified, ...caches } = cachesOf(maxEntries);
  settle();
  const start = process.memoryUsage();
  const before = start.rss;
  const allowed = await fill({ verified, ...caches }, 0, count);
  settle();
  const after = process.memoryUsage();
  // Retained: what the caches hold after a full collection (heap plus Buffer memory), without the
  // allocator's high-water mark from the cold path's garbage that RSS also counts.
  const retained = after.heapUsed + after.arrayBuffers - (start.heapUsed + start.arrayBuffers);
  process.stdout.write(
    `${JSON.stringify({ count, maxEntries, maxBytes, allowed, cached: verified.size, estimatedBytes: verified.bytes, rssBefore: before, rss: after.rss, retained })}\n`,
  );
}

/** A few full collections: one leaves objects that only a finalisation pass frees. */
function settle(): void {
  for (let i = 0; i < 3; i++) global.gc?.();
}

/** Where tbsCertificate ends inside the certificate DER (the signatureAlgorithm SEQUENCE starts there). */
function tbsEnd(raw: ArrayBuffer): number {
  const der = new Uint8Array(raw);
  const outerHeader = 2 + ((der[1] ?? 0) >= 0x80 ? (der[1] ?? 0) & 0x7f : 0);
  const parts = certificateParts(der);
  return outerHeader + (parts?.tbs.length ?? 0);
}

/** Certificate ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature } with the algorithm already encoded. */
function certificate(tbs: Buffer, algorithmAndRest: Buffer, signature: Buffer): Buffer {
  const algorithmLength = 2 + (algorithmAndRest[1] ?? 0);
  const algorithm = algorithmAndRest.subarray(0, algorithmLength);
  const bitString = Buffer.concat([
    Buffer.from([0x03]),
    derLength(signature.length + 1),
    Buffer.from([0]),
    signature,
  ]);
  const body = Buffer.concat([tbs, algorithm, bitString]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

void main();
