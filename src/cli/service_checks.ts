import type { X509Certificate } from "@peculiar/x509";
import { type Config, loadConfig } from "../config/config.js";
import { type LoadedSnapshot, loadSnapshot } from "../config/snapshot.js";
import type { Decision } from "../decision/decision.js";
import type { CheckInput } from "../foundation/check_input.js";
import type { Denial } from "../foundation/reasons.js";
import type { Result } from "../foundation/result.js";
import type { Settled } from "../foundation/settled.js";
import { decisionRecorder } from "../ops/decision_recorder.js";
import { createLogger } from "../ops/log.js";
import { Gatekeeper } from "../pipeline/gatekeeper.js";
import {
  type RevocationChecker,
  type RevocationStatus,
  type RevocationSubject,
  revocationDisabled,
} from "../revocation/revocation.js";
import { prepareChainSubject } from "../revocation/subject.js";
import { buildForwarding, type Forwarding } from "../source/provenance/forwarding.js";
import { type ChainOptions, type ChainResult, verifyChain } from "../trust/chain.js";
import type { CertificateInput } from "./certificate_input.js";
import {
  assessWithLists,
  type ListsFinding,
  loadListsOffline,
  type OfflineLists,
} from "./list_qualification.js";

/**
 * `inspect --config`: what the service itself would conclude, from the same snapshot the service loads
 * (loadSnapshot) and, for a request, the same Gatekeeper core (authorize + dry-run). Nothing here
 * re-implements a rule, so the CLI cannot disagree with the service.
 */
export interface ServiceFacts {
  readonly configFile: string;
  readonly acceptEseal: boolean;
  /** The chain as the service builds it: from the leaf alone, because Envoy sends only the leaf. */
  readonly chain: Result<ChainResult>;
  /** Only when `chain` failed and the input offered more certificates: whether they would have helped. */
  readonly chainWithOffered: Result<ChainResult> | undefined;
  readonly revocation: RevocationFinding;
  readonly decision: DecisionFinding | undefined;
  /** With `trust.trustedLists`: the qualification the lists give the leaf (ETSI TS 119 615). */
  readonly lists: ListsFinding | undefined;
}

export type RevocationFinding =
  | { readonly kind: "checked"; readonly status: RevocationStatus }
  | { readonly kind: "skipped"; readonly why: "option" | "no-chain" }
  /** The certificate could not be turned into an OCSP/CRL question; the service denies it the same way. */
  | { readonly kind: "unprepared"; readonly denial: Denial };

export interface DecisionFinding {
  readonly method: string;
  readonly path: string;
  readonly decision: Decision;
  /** The request went past the revocation step without asking OCSP/CRL (--no-revocation). */
  readonly revocationAssumedGood: boolean;
  /** The config forwards certificates through a proxy or checks SNI, which the CLI does not evaluate. */
  readonly transportNotEvaluated: boolean;
}

export interface ServiceCheckOptions {
  readonly configFile: string;
  /** The time validity and chain are judged at. */
  readonly at: Date;
  /** The real time: revocation answers are the live status, whatever `at` says. */
  readonly now: () => Date;
  readonly revocation: boolean;
  readonly request: { readonly method: string; readonly path: string } | undefined;
}

/** Throws ConfigError (from loadSnapshot) for a bad config; the caller reports it like the service does. */
export async function checkAgainstService(
  input: CertificateInput,
  options: ServiceCheckOptions,
): Promise<ServiceFacts> {
  const listsConfig = loadConfig(options.configFile).trust.trustedLists;
  const lists =
    listsConfig === undefined
      ? undefined
      : await loadListsOffline(options.configFile, listsConfig, options.at);
  // The decision's pipeline gets the same list-based verifier as the service (service.ts).
  const snapshot = loadSnapshot(options.configFile, {
    now: () => options.at,
    ...(lists === undefined ? {} : { chainVerifier: lists.verifier }),
  });
  const configured = snapshot.gate.revocation;
  const revocation = options.revocation ? answerOnce(configured, options.now) : revocationDisabled;
  try {
    const { chain, finding } = await serviceChain(lists, input, snapshot, options.at);
    const chainWithOffered =
      chain.ok || input.offered.length === 0
        ? undefined
        : await chainOf(lists, input.leaf, snapshot, { now: options.at, offered: input.offered });
    return {
      configFile: snapshot.config.file,
      acceptEseal: snapshot.config.qwac.acceptEseal,
      chain,
      chainWithOffered,
      lists: finding,
      revocation: await revocationFinding(chain, revocation, options),
      decision:
        options.request === undefined
          ? undefined
          : await decide(snapshot, revocation, input.leaf, options.request, options.revocation),
    };
  } finally {
    await configured.close();
  }
}

/** The chain as the service verifies it: under the trusted lists when configured, else the anchors. */
async function serviceChain(
  lists: OfflineLists | undefined,
  input: CertificateInput,
  snapshot: LoadedSnapshot,
  at: Date,
): Promise<{ readonly chain: Result<ChainResult>; readonly finding: ListsFinding | undefined }> {
  if (lists === undefined) {
    return { chain: await verifyChain(input.leaf, snapshot.trust, { now: at }), finding: undefined };
  }
  return assessWithLists(lists, input.leaf, snapshot.trust, { now: at });
}

function chainOf(
  lists: OfflineLists | undefined,
  leaf: X509Certificate,
  snapshot: LoadedSnapshot,
  options: ChainOptions,
): Promise<Result<ChainResult>> {
  return lists === undefined
    ? verifyChain(leaf, snapshot.trust, options)
    : lists.verifier.verify(leaf, snapshot.trust, options);
}

async function revocationFinding(
  chain: Result<ChainResult>,
  checker: RevocationChecker,
  options: ServiceCheckOptions,
): Promise<RevocationFinding> {
  if (!options.revocation) return { kind: "skipped", why: "option" };
  // The OCSP answer or CRL must be signed by the leaf's issuer, which only a verified chain names.
  if (!chain.ok) return { kind: "skipped", why: "no-chain" };
  // The whole path, as the service checks it: the decision reuses this answer (answerOnce, same key).
  const subject = prepareChainSubject(chain.value.path);
  if (!subject.ok) return { kind: "unprepared", denial: subject.error };
  return { kind: "checked", status: await checker.check(subject.value, options.now()) };
}

/**
 * The configured checker, asked once per certificate: the report's revocation line and the decision
 * then rest on the same answer, instead of a second query that could time out differently.
 */
function answerOnce(checker: RevocationChecker, now: () => Date): RevocationChecker {
  const answers = new Map<string, Settled<RevocationStatus>>();
  return {
    check(subject: RevocationSubject): Settled<RevocationStatus> {
      let answer = answers.get(subject.key);
      if (answer === undefined) {
        answer = checker.check(subject, now());
        answers.set(subject.key, answer);
      }
      return answer;
    },
    close: () => checker.close(),
  };
}

async function decide(
  snapshot: LoadedSnapshot,
  revocation: RevocationChecker,
  leaf: X509Certificate,
  request: { readonly method: string; readonly path: string },
  revocationChecked: boolean,
): Promise<DecisionFinding> {
  const direct = presentedDirectly(snapshot.config);
  const gate = { ...snapshot.gate, sources: direct.sources, serverName: direct.serverName, revocation };
  const gatekeeper = new Gatekeeper(
    { gate, responses: snapshot.responses, mode: snapshot.mode },
    decisionRecorder({ logger: createLogger("silent") }),
  );
  const outcome = await gatekeeper.check(envoyCheckInput(leaf, request.method, request.path));
  return {
    method: request.method,
    // The query is the TPP's data (an IBAN, a consent id): it chooses no route and stays out of the report.
    path: withoutQuery(request.path),
    decision: outcome.decision,
    revocationAssumedGood: !revocationChecked,
    transportNotEvaluated: usesTransportRules(snapshot.config),
  };
}

/**
 * The certificate as the TPP's own TLS connection presents it (Envoy's peer certificate), with no SNI
 * rule: how a proxy forwards it and which server name the TPP dialled belong to a connection, and the
 * CLI has none. Everything from the path on is the configured pipeline.
 */
function presentedDirectly(config: Config): Forwarding {
  return buildForwarding(
    {
      sources: [{ kind: "peer" }],
      trustedHops: { cidrs: [], principals: [] },
      sni: { ...config.sni, required: false, hosts: [] },
      maxCertificateBytes: config.limits.maxCertificateBytes,
      maxEntries: 1,
      httpEnabled: false,
    },
    config.file,
  );
}

function withoutQuery(rawPath: string): string {
  const query = rawPath.indexOf("?");
  return query === -1 ? rawPath : rawPath.slice(0, query);
}

function usesTransportRules(config: Config): boolean {
  const sni = config.sni;
  return config.sources.some((source) => source.kind !== "peer") || sni.required || sni.hosts.length > 0;
}

/**
 * The request as Envoy would describe it: the leaf only, as percent-encoded PEM in `source.certificate`
 * (`include_peer_certificate: true`), and the path exactly as the client sent it.
 */
export function envoyCheckInput(leaf: X509Certificate, method: string, rawPath: string): CheckInput {
  return {
    requestId: "qwac-cli",
    method,
    rawPath,
    host: "",
    headers: new Map([
      [":method", method],
      [":path", rawPath],
    ]),
    peer: { address: undefined, principal: undefined, certificate: encodeURIComponent(leaf.toString("pem")) },
    sni: undefined,
    contextExtensions: {},
  };
}
