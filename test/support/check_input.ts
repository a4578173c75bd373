import type { CheckInput } from "../../src/foundation/check_input.js";

export interface CheckInputSpec {
  readonly method?: string;
  readonly rawPath?: string;
  readonly host?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly address?: string;
  readonly principal?: string;
  /** Envoy's `source.certificate`, already percent-encoded. */
  readonly certificate?: string;
  readonly sni?: string;
}

/** A CheckInput as an edge would produce it, for tests that call the core's steps directly. */
export function checkInput(spec: CheckInputSpec = {}): CheckInput {
  return {
    requestId: "r",
    method: spec.method ?? "GET",
    rawPath: spec.rawPath ?? "/v1/accounts",
    host: spec.host ?? "api.bank.example",
    headers: new Map(Object.entries(spec.headers ?? {})),
    peer: { address: spec.address ?? "127.0.0.1", principal: spec.principal, certificate: spec.certificate },
    sni: spec.sni,
    contextExtensions: {},
  };
}
