import { performance } from "node:perf_hooks";
import { X509CertificateGenerator } from "@peculiar/x509";
import pino from "pino";
import * as pkijs from "pkijs";
import {
  type IssuedCertificate,
  issueCertificate,
  type KeyAlg,
  type CryptoKeyPair as PkiKeyPair,
  psd2Roles,
} from "../demo/certificate_factory.js";
import { toCheckInput } from "../envoy/check_request.js";
import { EncodedResponses } from "../envoy/encoded_responses.js";
import { loadProtos, servedAuthorization } from "../envoy/protos.js";
import type { WireCheckRequest } from "../envoy/wire.js";
import { assembleGate } from "../pipeline/gate.js";
import { Gatekeeper } from "../pipeline/gatekeeper.js";
import { parsePolicy } from "../policy/policy.js";
import { createRevocationChecker } from "../revocation/checker.js";
import { revocationConfigSchema } from "../revocation/config.js";
import { type FetchFunction, fetchBytes } from "../revocation/http_fetch.js";
import type { RevocationChecker } from "../revocation/revocation.js";
import { peerOnlyForwarding } from "../source/provenance/forwarding.js";
import { certFacts } from "../trust/cert_facts.js";
import { issuedBy } from "../trust/signature.js";
import { trustStoreFromCertificates } from "../trust/trust_store.js";
import { decisionRecorder } from "./decision_recorder.js";
import type { Logger } from "./log.js";
import { WarmUpResponder } from "./warm_up_responder.js";

/**
 * Start-up warm-up, so the first Check of a process is not the one that pays for lazy loading and cold code
 * (issue 14: Node's first `fetch` alone took longer than the whole revocation budget, and the first Checks
 * after a start were refused; bench/results.md, "Design measurements"). It runs before any port listens, so
 * no Check and no readiness probe can arrive before it is done, and it touches nothing the service uses: its
 * own loopback HTTP server, its own generated PKI, its own gate and caches. Nothing it finds is a verdict
 * about anyone.
 */
export interface WarmUpReport {
  readonly ms: number;
  /** Loopback exchanges through the revocation fetch that answered 2xx. */
  readonly fetches: number;
  /** Signature verifications that verified (certification-path and OCSP code paths). */
  readonly signatures: number;
  /** Synthetic Checks run through the pipeline and the gRPC response encoding. */
  readonly checks: number;
  /** First-round Checks whose OCSP answer (from the warm-up responder) verified as good. */
  readonly ocspGood: number;
}

/** Enough rounds for V8 to optimise the warm path's functions, few enough to stay a fraction of a second. */
const CHECK_ROUNDS = 30;
const WARM_UP_TIMEOUT_MS = 5_000;
const POLICY = "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n";

export async function warmUp(fetchFn: FetchFunction): Promise<WarmUpReport> {
  const started = performance.now();
  const roots = await warmUpRoots();
  const responder = new WarmUpResponder(roots);
  await responder.listen();
  try {
    const fetches = await warmHttpClient(fetchFn, responder.url("/warm-up"));
    const chains = await warmUpChains(roots, responder.url("/ocsp"));
    const signatures = await warmSignatures(chains);
    const checks = await warmPipeline(chains, fetchFn);
    return { ms: Math.round(performance.now() - started), fetches, signatures, ...checks };
  } finally {
    await responder.close();
  }
}

/**
 * The revocation client's first exchange loads undici and opens its first pool; done here, against the
 * warm-up's own loopback server, with the same function, methods and headers as an OCSP request (RFC 6960
 * appendix A: POST, and GET for RFC 5019 responders).
 */
async function warmHttpClient(fetchFn: FetchFunction, url: string): Promise<number> {
  const closed = new AbortController();
  let ok = 0;
  try {
    for (const method of ["POST", "GET", "POST"] as const) {
      const outcome = await fetchBytes(fetchFn, {
        url,
        method,
        ...(method === "POST" ? { body: new Uint8Array(80), contentType: "application/ocsp-request" } : {}),
        accept: "application/ocsp-response",
        timeoutMs: WARM_UP_TIMEOUT_MS,
        maxBytes: 1024,
        signal: closed.signal,
      });
      if (outcome.ok) ok++;
    }
  } finally {
    closed.abort();
  }
  return ok;
}

interface WarmUpChain {
  readonly root: IssuedCertificate;
  readonly leaf: IssuedCertificate;
}

/** One root per key type a QTSP uses: RSA PKCS#1 v1.5, ECDSA P-256 and P-384. */
async function warmUpRoots(): Promise<IssuedCertificate[]> {
  const roots: IssuedCertificate[] = [];
  for (const keyAlg of ["RSA-2048", "P-256", "P-384"] as const satisfies readonly KeyAlg[]) {
    roots.push(
      await issueCertificate({ subject: `CN=Warm-up ${keyAlg} root, O=Warm-up, C=EU`, keyAlg, isCa: true }),
    );
  }
  return roots;
}

/** A QWAC from each root, with the warm-up responder in its AIA. */
async function warmUpChains(roots: readonly IssuedCertificate[], ocspUrl: string): Promise<WarmUpChain[]> {
  const chains: WarmUpChain[] = [];
  for (const root of roots) {
    const leaf = await issueCertificate({
      subject: `CN=warm-up.invalid, O=Warm-up TPP, 2.5.4.97=PSDFR-ACPR-${chains.length + 1}0000, C=FR`,
      issuer: root,
      keyAlg: "P-256",
      aiaOcspUrl: ocspUrl,
      qc: { types: ["web"], psd2: { roles: psd2Roles("PSP_AI"), ncaName: "Warm-up NCA", ncaId: "FR-ACPR" } },
    });
    chains.push({ root, leaf });
  }
  return chains;
}

/**
 * Both signature paths once per algorithm: the certification path's (trust/signature.ts: node:crypto for
 * PKCS#1 v1.5 and ECDSA, WebCrypto for RSA-PSS) and the OCSP response's (pkijs' crypto engine,
 * revocation/ocsp_signer.ts). RSA-PSS (RFC 4055) is covered by a self-signed PSS certificate.
 */
async function warmSignatures(chains: readonly WarmUpChain[]): Promise<number> {
  const pairs = chains.map(({ root, leaf }) => ({ child: leaf.cert, issuer: root.cert }));
  const pss = await rsaPssCertificate();
  pairs.push({ child: pss, issuer: pss });
  let verified = 0;
  for (const { child, issuer } of pairs) {
    const facts = certFacts(child);
    if (facts.ok && (await issuedBy(child, facts.value, issuer)).ok) verified++;
    const parsed = pkijs.Certificate.fromBER(child.rawData);
    const signer = pkijs.Certificate.fromBER(issuer.rawData);
    const ok = await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(
        parsed.tbsView,
        parsed.signatureValue,
        signer.subjectPublicKeyInfo,
        parsed.signatureAlgorithm,
      )
      .catch(() => false);
    if (ok) verified++;
  }
  return verified;
}

async function rsaPssCertificate() {
  const algorithm = {
    name: "RSA-PSS",
    hash: "SHA-256",
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = (await crypto.subtle.generateKey(algorithm, false, ["sign", "verify"])) as PkiKeyPair;
  const now = Date.now();
  return X509CertificateGenerator.createSelfSigned({
    name: "CN=Warm-up RSA-PSS root, O=Warm-up, C=EU",
    keys,
    signingAlgorithm: { name: "RSA-PSS", saltLength: 32 },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
  });
}

/**
 * Synthetic Checks through the real pipeline (Envoy request translation, sources, QWAC and chain
 * verification, policy, decision, response encoding) on a gate of its own: a first sight, then cached
 * allows, a denied role and a missing certificate, so both answers' code is warm. Revocation runs end to
 * end against the warm-up responder with a checker of its own (its own cache, closed afterwards), so the
 * service's revocation cache is never touched; its wait is generous, as this is no one's request.
 */
async function warmPipeline(
  chains: readonly WarmUpChain[],
  fetchFn: FetchFunction,
): Promise<{ checks: number; ocspGood: number }> {
  const revocation = createRevocationChecker(
    revocationConfigSchema.parse({ timeoutMs: WARM_UP_TIMEOUT_MS, fetchTimeoutMs: WARM_UP_TIMEOUT_MS }),
    { fetch: fetchFn },
  );
  try {
    return await runChecks(chains, revocation);
  } finally {
    await revocation.close();
  }
}

async function runChecks(
  chains: readonly WarmUpChain[],
  revocation: RevocationChecker,
): Promise<{ checks: number; ocspGood: number }> {
  const gate = assembleGate({
    policy: parsePolicy(POLICY, "(warm-up policy)"),
    trust: trustStoreFromCertificates(chains.map(({ root }) => root.cert)),
    forwarding: peerOnlyForwarding(16 * 1024, 16),
    revocation,
    now: () => new Date(),
    qwac: { acceptEseal: false },
    headerPrefix: "x-tpp-",
    cache: { certificates: chains.length, maxBytes: 16 * 1024 * 1024, denialTtlSeconds: 0 },
  });
  const responses = { headerPrefix: "x-tpp-", reasonHeader: "x-authz-reason" };
  const gatekeeper = new Gatekeeper(
    { gate, responses, mode: "enforce" },
    decisionRecorder({ logger: pino({ level: "silent" }) }),
  );
  const encoded = new EncodedResponses(servedAuthorization(loadProtos().authorization).encodeResponse);
  let checks = 0;
  let ocspGood = 0;
  for (let round = 0; round < CHECK_ROUNDS; round++) {
    for (const { leaf } of chains) {
      for (const path of ["/v1/accounts", "/v1/payments/sepa-credit-transfers"]) {
        const input = toCheckInput(syntheticRequest(path, encodeURIComponent(leaf.pem), round));
        const outcome = await gatekeeper.check(input);
        encoded.bytes(outcome.decision, input, outcome.responses);
        if (round === 0 && outcome.decision.revocation?.status === "good") ocspGood++;
        checks++;
      }
    }
    const anonymous = toCheckInput(syntheticRequest("/v1/accounts", undefined, round));
    const refused = await gatekeeper.check(anonymous);
    encoded.bytes(refused.decision, anonymous, refused.responses);
    checks++;
  }
  return { checks, ocspGood };
}

function syntheticRequest(path: string, certificate: string | undefined, round: number): WireCheckRequest {
  const headers = {
    ":method": "GET",
    ":path": path,
    ":authority": "warm-up.invalid",
    "x-request-id": `warm-up-${round}`,
  };
  return {
    attributes: {
      source: {
        address: { socket_address: { address: "127.0.0.1", port_value: 1 } },
        ...(certificate === undefined ? {} : { certificate }),
      },
      request: { http: { id: `warm-up-${round}`, method: "GET", path, host: "warm-up.invalid", headers } },
    },
  };
}

/** Logs what the warm-up did; a failed warm-up costs only speed, so it is a warning, never a failed start. */
export async function warmUpAndLog(fetchFn: FetchFunction, logger: Logger): Promise<void> {
  try {
    const report = await warmUp(fetchFn);
    logger.info({ ...report }, "warm-up done");
  } catch (error) {
    logger.warn({ err: error }, "warm-up failed; the first Checks may be slow");
  }
}
