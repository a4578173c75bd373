import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../foundation/config_error.js";
import { type ConfigFileFormat, parseConfigFile, readConfigText } from "../foundation/config_file.js";
import { httpConfigSchema } from "../http/http_config.js";
import { revocationConfigSchema } from "../revocation/config.js";
import { sniSchema, sourcesSchema, trustedHopsSchema } from "../source/provenance/source_config.js";
import { type TrustedListsConfig, trustedListsConfigSchema } from "../trust/trusted_lists/config.js";

const listenSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(9191),
});

/** The config file's keys; `configSchema` adds the checks across keys. */
const configKeysSchema = z.strictObject({
  listen: listenSchema.prefault({}),
  trust: z.strictObject({
    /**
     * PEM file or directory of QTSP root certificates (private and test PKIs). Required unless
     * trustedLists is set: then the EU lists name the CAs, and anchors only add CAs on no list.
     */
    anchors: z.string().min(1).optional(),
    /** PEM bundle or directory of intermediate CA certificates. */
    intermediates: z.string().min(1).optional(),
    /** Trust from the EU Trusted Lists (docs/trusted-lists.md). */
    trustedLists: trustedListsConfigSchema.optional(),
  }),
  policy: z.string().min(1),
  qwac: z
    .strictObject({
      /** Accept QSealCs too. Off: PSD2 RTS Art. 34 identifies TPPs towards ASPSPs with a QWAC. */
      acceptEseal: z.boolean().default(false),
    })
    .prefault({}),
  headers: z
    .strictObject({
      prefix: z
        .string()
        .regex(/^[a-z0-9-]+-$/, "must be lower-case letters, digits and dashes, ending in a dash")
        .default("x-tpp-"),
      reason: z
        .string()
        .regex(/^[a-z0-9-]+$/, "must be a lower-case header name")
        .default("x-authz-reason"),
    })
    .prefault({}),
  cache: z
    .strictObject({
      certificates: z.number().int().min(1).default(10_000),
      /**
       * Estimated bytes all certificate caches may hold together (docs/operations.md, "Memory bounds"):
       * half for the verdicts, half shared by the configured sources' decoded certificates. 64 MiB fits
       * the ~256 MB heap Node picks in the shipped 512Mi pod with room for the rest of the service.
       */
      maxBytes: z
        .number()
        .int()
        .min(1_048_576)
        .default(64 * 1_048_576),
      denialTtlSeconds: z.number().min(0).default(60),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxCertificateBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
    })
    .prefault({}),
  revocation: revocationConfigSchema.prefault({}),
  /** Where the client certificate comes from, in order (docs/proxies.md). Default: Envoy's peer certificate only. */
  sources: sourcesSchema,
  /** Proxies allowed to forward a certificate or SNI in a header. Default: none. */
  trustedHops: trustedHopsSchema.prefault({}),
  /** Server names (TLS SNI) the listener serves. Default: not checked. */
  sni: sniSchema.prefault({}),
  /** The optional plain-HTTP authorization listener (nginx auth_request, Traefik forwardAuth). */
  http: httpConfigSchema.prefault({}),
  /** dry-run: every policy denial is logged, counted and marked upstream, but the request is allowed. */
  mode: z.enum(["enforce", "dry-run"]).default("enforce"),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(9464),
      /** Recently seen TPP certificates watched for expiry and exported per TPP. */
      maxTppSeries: z.number().int().min(1).max(100_000).default(1000),
      /** How often expiry gauges are refreshed and T-30/T-15/T-7 warnings evaluated. */
      expirySweepSeconds: z.number().int().min(1).default(60),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** JSON-lines audit trail of decisions; reopened on SIGUSR2 for log rotation. Off when absent. */
      file: z.string().min(1).optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    })
    .prefault({}),
  /** A file the running process writes its pid to (for `kill -HUP $(cat ...)`), removed on exit. */
  pidFile: z.string().min(1).optional(),
  shutdown: z
    .strictObject({
      /** How long in-flight Checks may take to finish after SIGTERM before the server is forced down. */
      graceSeconds: z.number().min(0).max(300).default(10),
    })
    .prefault({}),
});

/**
 * The checks across keys are refinements of the schema, so their errors are located like any other: the
 * file, the key and its line.
 */
export const configSchema = configKeysSchema.superRefine(checkPortClashes).superRefine(checkTrustSource);

export type Config = Readonly<z.infer<typeof configSchema>> & { readonly file: string };

/** Reads and validates the YAML config; relative paths are resolved against the config file's folder. */
export function loadConfig(file: string, env: PortEnvironment = process.env): Config {
  return parseConfig(readConfigText(file), file, env);
}

/** Environment variables that override the listen ports (like OPA-Envoy's `--addr`); main.ts maps flags here. */
export const PORT_OVERRIDES = {
  GATEKEEPER_LISTEN_PORT: ["listen", "port"],
  GATEKEEPER_METRICS_PORT: ["metrics", "port"],
  GATEKEEPER_HTTP_PORT: ["http", "port"],
} as const;
export type PortEnvironment = Readonly<Partial<Record<string, string>>>;

export function parseConfig(text: string, file: string, env: PortEnvironment = {}): Config {
  const format: ConfigFileFormat<typeof configSchema> = {
    schema: configSchema,
    expected: "'trust' and 'policy'",
    prepare: (raw) => withPortOverrides(raw, file, env),
  };
  return Object.freeze({ ...resolvePaths(parseConfigFile(text, file, format), dirname(file)), file });
}

/** Applies GATEKEEPER_*_PORT before validation, so an override is checked like the file's own value. */
function withPortOverrides(raw: unknown, file: string, env: PortEnvironment): unknown {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return raw;
  let result = raw as Record<string, unknown>;
  for (const [variable, [section, key]] of Object.entries(PORT_OVERRIDES)) {
    const value = env[variable];
    if (value === undefined || value === "") continue;
    const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
    if (!(port <= 65535))
      throw new ConfigError(file, `${section}.${key}`, `${variable}=${value} is not a port (0-65535)`);
    const current = result[section];
    const base = typeof current === "object" && current !== null ? (current as Record<string, unknown>) : {};
    result = { ...result, [section]: { ...base, [key]: port } };
  }
  return result;
}

/** Default deny needs something to trust: without trusted lists, trust.anchors is that something. */
function checkTrustSource(config: z.output<typeof configKeysSchema>, ctx: z.RefinementCtx): void {
  if (config.trust.anchors === undefined && config.trust.trustedLists === undefined)
    ctx.addIssue({
      code: "custom",
      path: ["trust", "anchors"],
      message: "required unless trust.trustedLists is set",
    });
}

/**
 * Two listeners on one port fail at bind time with EADDRINUSE, after the first one is already up: caught
 * here instead, as a validation error naming both keys. Port 0 (an ephemeral port) never clashes.
 */
function checkPortClashes(config: z.output<typeof configKeysSchema>, ctx: z.RefinementCtx): void {
  const listeners: [string, number][] = [["listen", config.listen.port]];
  if (config.metrics.enabled) listeners.push(["metrics", config.metrics.port]);
  if (config.http.enabled) listeners.push(["http", config.http.port]);
  for (const [i, [section, port]] of listeners.entries()) {
    const earlier = listeners.slice(0, i).find(([, other]) => other === port && port !== 0);
    if (earlier !== undefined)
      ctx.addIssue({
        code: "custom",
        path: [section, "port"],
        message: `port ${port} is already used by ${earlier[0]}.port`,
      });
  }
}

function resolvePaths(config: z.infer<typeof configSchema>, base: string): z.infer<typeof configSchema> {
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  return {
    ...config,
    policy: at(config.policy),
    audit: config.audit.file === undefined ? {} : { file: at(config.audit.file) },
    ...(config.pidFile === undefined ? {} : { pidFile: at(config.pidFile) }),
    trust: {
      ...(config.trust.anchors === undefined ? {} : { anchors: at(config.trust.anchors) }),
      ...(config.trust.intermediates === undefined ? {} : { intermediates: at(config.trust.intermediates) }),
      ...(config.trust.trustedLists === undefined
        ? {}
        : { trustedLists: trustedListsPaths(config.trust.trustedLists, at) }),
    },
  };
}

function trustedListsPaths(tl: TrustedListsConfig, at: (path: string) => string): TrustedListsConfig {
  const lotl = /^https?:\/\//.test(tl.lotl) ? tl.lotl : at(tl.lotl);
  return { ...tl, lotl, lotlSigners: at(tl.lotlSigners), cacheDir: at(tl.cacheDir) };
}
