import { Name } from "@peculiar/x509";
import { z } from "zod";
import type { CertIdHash } from "./ocsp.js";
import type { RevocationSubject } from "./revocation.js";

/**
 * The `revocation:` section of the service configuration. Every knob has a default, so `{}` is a valid
 * section: OCSP from the certificate's AIA, hard fail, a 200 ms wait (envoy/envoy.yaml gives ext_authz 250 ms).
 */

export const failModeSchema = z.enum(["hard", "soft", "stale-if-error"]);
export type FailMode = z.infer<typeof failModeSchema>;

const hashSchema = z.enum(["sha1", "sha256"]);
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http or https URL" });
const milliseconds = (max: number) => z.number().int().min(1).max(max);
const seconds = z
  .number()
  .int()
  .min(0)
  .max(31 * 24 * 3600);

/** Lower-case hex without colons, so both `AB:CD:..` (openssl -fingerprint) and `abcd..` are accepted. */
const sha256Fingerprint = z
  .string()
  .transform((value) => value.replace(/:/g, "").toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, "must be the 64 hex digits of a SHA-256 fingerprint"));

/** Printed the way @peculiar/x509 prints a certificate's subject, so the comparison is exact. */
const subjectName = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    const printed = new Name(value).toString();
    if (printed === "")
      ctx.addIssue({ code: "custom", message: "not a distinguished name (e.g. CN=CA, O=QTSP, C=FR)" });
    return printed;
  });

const issuerMatchSchema = z
  .strictObject({
    /** SHA-256 fingerprint of the issuing CA certificate (exact, preferred). */
    sha256: sha256Fingerprint.optional(),
    /** The issuing CA's subject DN, in certificate order ("C=FR, O=Example QTSP, CN=Example CA"). */
    subject: subjectName.optional(),
  })
  .refine((match) => (match.sha256 === undefined) !== (match.subject === undefined), {
    message: "give exactly one of sha256 or subject",
  });

const issuerOverrideSchema = z.strictObject({
  match: issuerMatchSchema,
  /** Ask this responder instead of the certificate's AIA (e.g. an internal OCSP proxy). */
  ocspUrl: httpUrl.optional(),
  /** Fetch this CRL instead of the certificate's CRL distribution point. */
  crlUrl: httpUrl.optional(),
  failMode: failModeSchema.optional(),
  preferCrl: z.boolean().optional(),
  hash: hashSchema.optional(),
  nonce: z.boolean().optional(),
  useGet: z.boolean().optional(),
  timeoutMs: milliseconds(10_000).optional(),
  staleIfErrorSeconds: seconds.optional(),
});

export const revocationConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** No verified answer: hard = deny, soft = allow marked "unchecked", stale-if-error = last answer, then hard. */
    failMode: failModeSchema.default("hard"),
    /**
     * The first-sight budget: the longest a Check waits for an answer it has not cached. Only a first sight
     * (or an expired answer) waits: a refresh ahead of expiry runs in the background within fetchTimeoutMs,
     * so this is the one budget a Check can spend. 200 ms fits Envoy's 250 ms ext_authz timeout with 50 ms
     * for the rest of a warmed-up Check (a few ms of CPU) and the hop, and leaves room for a QTSP responder
     * abroad (tens of ms away) on a busy node. A cold first fetch alone would eat most of it, which is why
     * ops/warm_up.ts makes one before any port listens (bench/results.md, "Design measurements").
     */
    timeoutMs: milliseconds(10_000).default(200),
    /**
     * The longest one OCSP exchange may run. It goes on in the background after the Check stopped
     * waiting, so a responder slower than timeoutMs still fills the cache for the next Check.
     */
    fetchTimeoutMs: milliseconds(60_000).default(2_000),
    crlFetchTimeoutMs: milliseconds(300_000).default(10_000),
    maxResponseBytes: z
      .number()
      .int()
      .min(1_024)
      .default(64 * 1024),
    maxCrlBytes: z
      .number()
      .int()
      .min(1_024)
      .default(32 * 1024 * 1024),
    /** CertID hash: SHA-1 is what RFC 5019 responders are required to understand. */
    hash: hashSchema.default("sha1"),
    /** A nonce defeats replay but also the responders' pre-signed answers; off as RFC 5019 advises. */
    nonce: z.boolean().default(false),
    /** RFC 5019 GET for requests under 255 bytes, so HTTP caches in front of the responder can help. */
    useGet: z.boolean().default(false),
    /** Use the CRL even when the certificate names an OCSP responder. */
    preferCrl: z.boolean().default(false),
    /** When the first source (OCSP, or the CRL with preferCrl) gives no verified answer, ask the other. */
    trySecondSource: z.boolean().default(true),
    cacheMaxEntries: z.number().int().min(1).default(100_000),
    crlCacheMaxEntries: z.number().int().min(1).default(64),
    /** An answer is cached until its nextUpdate, but never longer than this. */
    maxTtlSeconds: seconds.default(3_600),
    /** How long an answer without nextUpdate is cached. */
    defaultTtlSeconds: seconds.default(300),
    /** An OCSP answer without nextUpdate is refused when its thisUpdate is older than this. */
    maxAgeWithoutNextUpdateSeconds: seconds.default(3_600),
    /** "unknown" is cached briefly: a certificate issued a minute ago may not have reached the responder. */
    unknownTtlSeconds: seconds.default(60),
    /** A hit in the last part of an answer's cache lifetime is served and refreshed in the background. */
    refreshAheadFraction: z.number().min(0).max(0.9).default(0.2),
    /** A failed fetch is not retried for this long, so a dead responder is not hammered. */
    negativeTtlSeconds: seconds.default(5),
    /** stale-if-error: how long past its nextUpdate the last verified answer may still be served. */
    staleIfErrorSeconds: seconds.default(3_600),
    /** Tolerated clock difference for thisUpdate / nextUpdate and responder certificate validity. */
    clockSkewSeconds: seconds.default(120),
    issuers: z.array(issuerOverrideSchema).default([]),
  })
  .superRefine((config, ctx) => {
    if (config.fetchTimeoutMs < config.timeoutMs) {
      ctx.addIssue({ code: "custom", path: ["fetchTimeoutMs"], message: "must be at least timeoutMs" });
    }
    const seen = new Set<string>();
    config.issuers.forEach((issuer, index) => {
      const key = issuer.match.sha256 ?? `subject:${issuer.match.subject}`;
      if (seen.has(key))
        ctx.addIssue({ code: "custom", path: ["issuers", index, "match"], message: "duplicate" });
      seen.add(key);
    });
  });

export type RevocationConfig = z.output<typeof revocationConfigSchema>;
export type RevocationConfigInput = z.input<typeof revocationConfigSchema>;

/** The settings that apply to one issuing CA: the global ones with its override, if any, on top. */
export interface IssuerPolicy {
  readonly failMode: FailMode;
  readonly timeoutMs: number;
  readonly hash: CertIdHash;
  readonly nonce: boolean;
  readonly useGet: boolean;
  readonly preferCrl: boolean;
  readonly ocspUrl: string | undefined;
  readonly crlUrl: string | undefined;
  readonly staleIfErrorSeconds: number;
}

/** Builds the lookup once; per subject it is two Map gets (fingerprint, then subject DN). */
export function issuerPolicies(config: RevocationConfig): (subject: RevocationSubject) => IssuerPolicy {
  const global: IssuerPolicy = Object.freeze({
    failMode: config.failMode,
    timeoutMs: config.timeoutMs,
    hash: config.hash,
    nonce: config.nonce,
    useGet: config.useGet,
    preferCrl: config.preferCrl,
    ocspUrl: undefined,
    crlUrl: undefined,
    staleIfErrorSeconds: config.staleIfErrorSeconds,
  });
  const byFingerprint = new Map<string, IssuerPolicy>();
  const bySubject = new Map<string, IssuerPolicy>();
  for (const { match, ...override } of config.issuers) {
    const policy = Object.freeze({ ...global, ...withoutUndefined(override) });
    if (match.sha256 !== undefined) byFingerprint.set(match.sha256, policy);
    if (match.subject !== undefined) bySubject.set(match.subject, policy);
  }
  return (subject) =>
    byFingerprint.get(subject.issuerFingerprint) ?? bySubject.get(subject.issuerSubject) ?? global;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
