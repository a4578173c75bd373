import { z } from "zod";

/**
 * The `http:` section: the optional plain-HTTP authorization listener for nginx `auth_request`, Traefik
 * `forwardAuth` and Envoy's `http_service`. Off by default; loopback by default when on, because it
 * speaks plain HTTP and must only be reachable by the proxy in front of it.
 */
export const httpConfigSchema = z.strictObject({
  enabled: z.boolean().default(false),
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(9192),
});

export type HttpConfig = z.output<typeof httpConfigSchema>;
