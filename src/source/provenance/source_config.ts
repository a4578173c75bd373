import { z } from "zod";
import { CLIENT_CERT_CHAIN_HEADER, CLIENT_CERT_HEADER } from "../decoding/client_cert_field.js";
import { XFCC_HEADER } from "../decoding/xfcc.js";
import { signatureSchema } from "./message_signature/signature_config.js";
import { type Cidr, parseCidr } from "./trusted_hops.js";

/**
 * The `sources`, `trustedHops` and `sni` sections of the service configuration. Secure by default: only
 * the connection's own certificate (`[peer]`), no trusted hop, no SNI rule.
 */

/** What a bare `header` entry in `sources` reads: the name most nginx setups use for `$ssl_client_escaped_cert`. */
export const DEFAULT_CERTIFICATE_HEADER = "x-ssl-client-cert";
export const DEFAULT_SNI_HEADER = "x-forwarded-sni";

/** Headers with a fixed meaning that a configured plain-header source must not reuse. */
const FIXED_CERTIFICATE_HEADERS: readonly string[] = [
  XFCC_HEADER,
  CLIENT_CERT_HEADER,
  CLIENT_CERT_CHAIN_HEADER,
];

export type SourceSpec =
  | { readonly kind: "peer" | "xfcc" | "client-cert" }
  | { readonly kind: "header"; readonly name: string };

const headerName = z.string().regex(/^[a-z0-9-]+$/, "must be a lower-case header name");

const sourceEntry = z
  .union(
    [
      z.enum(["peer", "xfcc", "client-cert", "header"]),
      z.strictObject({
        header: headerName.refine((name) => !FIXED_CERTIFICATE_HEADERS.includes(name), {
          message: "is read by its own source (xfcc, client-cert)",
        }),
      }),
    ],
    { error: "must be peer, xfcc, client-cert, header, or { header: <lower-case name> }" },
  )
  .transform((entry): SourceSpec => {
    if (typeof entry !== "string") return { kind: "header", name: entry.header };
    return entry === "header" ? { kind: "header", name: DEFAULT_CERTIFICATE_HEADER } : { kind: entry };
  });

export const sourcesSchema = z
  .array(sourceEntry)
  .min(1, "name at least one source")
  .superRefine((specs, ctx) => {
    const seen = new Set<string>();
    specs.forEach((spec, index) => {
      const key = spec.kind === "header" ? `header ${spec.name}` : spec.kind;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: [index], message: `${key} listed twice` });
      seen.add(key);
    });
  })
  .default([{ kind: "peer" }]);

const cidr = z.string().transform((text, ctx): Cidr => {
  const parsed = parseCidr(text.trim());
  if (parsed === undefined) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not an IPv4 or IPv6 address or address/prefix` });
    return z.NEVER;
  }
  return parsed;
});

/** One trusted hop (docs/proxies.md#trusted-hops), optionally signing what it forwards (docs/signed-forwarding.md). */
const trustedHopSchema = z.strictObject({
  /** Peers (Envoy's `source.address`, the HTTP mode's socket address) inside these blocks are this hop. */
  cidrs: z.array(cidr).default([]),
  /** Envoy's `source.principal` values (the peer's mTLS identity, e.g. a SPIFFE id) that are this hop. */
  principals: z.array(z.string().min(1)).default([]),
  /** The RFC 9421 signature the hop puts over the certificate header it forwards. Absent: none. */
  signature: signatureSchema.optional(),
});

export type TrustedHopConfig = z.output<typeof trustedHopSchema>;

const trustedHopListSchema = z.array(trustedHopSchema);

/**
 * `trustedHops`: one hop as an object (`{ cidrs, principals }`, the original form), or a list of hops
 * when they differ, e.g. in whether they must sign. Parsed by hand rather than by z.union so that a
 * mistake is reported at its own key (`trustedHops.0.signature.keys`), not as "invalid input".
 */
export const trustedHopsSchema = z
  .unknown()
  .transform((value, ctx): TrustedHopConfig | TrustedHopConfig[] => {
    const parsed = Array.isArray(value)
      ? trustedHopListSchema.safeParse(value)
      : trustedHopSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOST = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);

const hostPattern = z
  .string()
  .transform((host) => host.toLowerCase())
  .pipe(z.string().max(253).regex(HOST, "must be a host name, optionally starting with '*.'"));

export const sniSchema = z.strictObject({
  required: z.boolean().default(false),
  hosts: z.array(hostPattern).default([]),
  /** Where a trusted hop that terminated TLS puts the TPP's SNI (nginx: `$ssl_server_name`). */
  header: headerName.default(DEFAULT_SNI_HEADER),
});

export type SourcesConfig = z.output<typeof sourcesSchema>;
export type TrustedHopsConfig = z.output<typeof trustedHopsSchema>;
export type SniConfig = z.output<typeof sniSchema>;

/**
 * Forwarded-certificate and SNI headers the upstream must never see, whatever the configured sources: an
 * upstream that reads one of them would otherwise believe a value any client can type.
 */
export function forwardedHeaderNames(sources: SourcesConfig, sni: SniConfig): string[] {
  const configured = sources.flatMap((spec) => (spec.kind === "header" ? [spec.name] : []));
  return [...new Set([...FIXED_CERTIFICATE_HEADERS, DEFAULT_CERTIFICATE_HEADER, ...configured, sni.header])];
}
