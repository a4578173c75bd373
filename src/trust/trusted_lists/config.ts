import { z } from "zod";

/**
 * `trust.trustedLists`: trust from the EU Trusted Lists (ETSI TS 119 612 / 119 615). `lotl` is an https
 * URL or a file; `lotlSigners` the PEM file of the LOTL signing certificates published in the Official
 * Journal (the operator checks and provides it; docs/trusted-lists.md says where).
 */
export const trustedListsConfigSchema = z.strictObject({
  lotl: z.string().min(1),
  lotlSigners: z.string().min(1),
  /** Last verified copy of every list, used at start so the service starts with no network. */
  cacheDir: z.string().min(1),
  /** ISO 3166 territories (EU uses EL for Greece, UK while listed); default: all the LOTL points at. */
  territories: z
    .array(z.string().regex(/^[A-Z]{2}$/, "must be a two-letter territory code"))
    .min(1)
    .optional(),
  refreshSeconds: z.number().int().min(60).default(3600),
  /** How long past a list's NextUpdate its last good copy is still used before the territory fails closed. */
  graceSeconds: z.number().int().min(0).default(86_400),
  maxListBytes: z
    .number()
    .int()
    .min(65_536)
    .max(67_108_864)
    .default(16 * 1024 * 1024),
  maxPivots: z.number().int().min(0).max(50).default(12),
});

export type TrustedListsConfig = z.infer<typeof trustedListsConfigSchema>;
