import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import { generateKey, issueCertificate, psd2Roles } from "../src/demo/certificate_factory.js";
import { buildOcspRequest } from "../src/revocation/ocsp.js";
import { prepareSubject } from "../src/revocation/subject.js";
import { killRunningOpenssl, LoopbackServer, OpensslCa, replayKey } from "../test/support/openssl_ca.js";

export interface BenchRevocationLab {
  readonly caPem: string;
  /** QWAC PEMs, each with the lab responder in its AIA and a captured "good" answer. */
  readonly qwacs: readonly string[];
  ocspHits(): number;
  close(): Promise<void>;
}

/**
 * An openssl CA, `count` QWACs issued from it with AIA pointing at a loopback responder, and that
 * responder replaying answers `openssl ocsp` produced beforehand: a cold Check then costs the service's
 * own work plus one real HTTP round trip, not an openssl process start.
 */
export async function startBenchRevocationLab(count: number): Promise<BenchRevocationLab> {
  const dir = await mkdtemp(join(tmpdir(), "gk-bench-ocsp-"));
  const server = await LoopbackServer.start();
  const ocspUrl = server.url("/ocsp");
  const ca = await OpensslCa.create(dir, {
    subject: "/C=EU/O=Bench QTSP/CN=Bench QTSP CA",
    ocspUrl,
    crlUrl: server.url("/crl"),
  });
  const signer = await ca.signer();
  const responder = await ca.issue("responder", "ocsp-responder");
  const keys = await generateKey("P-256");
  const answers = new Map<string, Uint8Array>();
  const qwacs: string[] = [];
  for (let i = 0; i < count; i++) {
    const issued = await issueCertificate({
      subject: `CN=tpp-${i}.bench.example, O=Bench TPP ${i}, 2.5.4.97=PSDFR-ACPR-${10000 + i}, C=FR`,
      issuer: signer,
      keys,
      aiaOcspUrl: ocspUrl,
      qc: { psd2: { roles: psd2Roles("PSP_AI", "PSP_PI"), ncaName: "ACPR", ncaId: "FR-ACPR" } },
    });
    await ca.recordValid(`tpp-${i}`, issued.pem);
    const subject = prepareSubject(new X509Certificate(issued.pem), ca.cert.cert);
    if (!subject.ok) throw new Error(subject.error.detail);
    const request = buildOcspRequest({ subject: subject.value, hash: "sha1" });
    answers.set(
      replayKey(request),
      await ca.ocspAnswer(request, { signer: responder, nextUpdateMinutes: 60 }),
    );
    qwacs.push(issued.pem);
  }
  server.route("/ocsp", { kind: "replay", answers });
  return {
    caPem: ca.cert.pem,
    qwacs,
    ocspHits: () => server.hits("/ocsp"),
    close: async () => {
      await server.close();
      killRunningOpenssl();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
