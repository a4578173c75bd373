import type { CheckInput } from "../../foundation/check_input.js";
import { type Denial, deny } from "../../foundation/reasons.js";
import type { TrustedHops } from "./trusted_hops.js";

export interface ServerNameSettings {
  /** A request without SNI is denied (SNI_MISSING). */
  readonly required: boolean;
  /** Lower-case host names, or `*.` + a domain for exactly one more label. Empty: any name. */
  readonly hosts: readonly string[];
  /** Header a trusted hop that terminated the TPP's TLS puts the SNI in (nginx `$ssl_server_name`). */
  readonly header: string;
}

/** The longest DNS name; a longer "SNI" is not one, and is cut in the log detail. */
const MAX_NAME = 253;

/**
 * The server name the TPP asked for must be one this listener serves. Where TLS ended at a trusted hop
 * (a load balancer, nginx in the HTTP mode), that hop's forwarded header says what the TPP sent, and it
 * wins over the SNI of the hop's own connection to Envoy. From anyone else the header is ignored, never
 * believed: it is not a credential, so ignoring it cannot let a request in that the rest would refuse.
 *
 * Wildcards follow the certificate rule (RFC 6125 §6.4.3, left-most label only): `*.api.bank.example`
 * matches `fr.api.bank.example`, not `api.bank.example` and not `a.b.api.bank.example`.
 */
export class ServerNameCheck {
  private readonly exact: ReadonlySet<string>;
  private readonly wildcardDomains: ReadonlySet<string>;
  private readonly active: boolean;

  constructor(
    private readonly settings: ServerNameSettings,
    private readonly hops: TrustedHops,
  ) {
    this.exact = new Set(settings.hosts.filter((host) => !host.startsWith("*.")));
    this.wildcardDomains = new Set(
      settings.hosts.filter((host) => host.startsWith("*.")).map((h) => h.slice(1)),
    );
    this.active = settings.required || settings.hosts.length > 0;
  }

  check(input: CheckInput): Denial | undefined {
    if (!this.active) return undefined;
    const { name, ignored } = this.serverName(input);
    // Say so when a forwarded SNI was ignored: the usual cause is a proxy missing from trustedHops.
    const note = ignored
      ? ` (${this.settings.header} ignored: ${input.peer.address ?? "peer"} is not a trusted hop)`
      : "";
    if (name === undefined || name === "")
      return this.settings.required ? deny("SNI_MISSING", `no SNI${note}`) : undefined;
    if (this.settings.hosts.length === 0 || this.serves(name.toLowerCase())) return undefined;
    return deny("SNI_MISMATCH", `SNI ${JSON.stringify(name.slice(0, MAX_NAME))} is not served here${note}`);
  }

  private serverName(input: CheckInput): { name: string | undefined; ignored: boolean } {
    const forwarded = input.headers.get(this.settings.header);
    if (forwarded === undefined || forwarded === "") return { name: input.sni, ignored: false };
    if (this.hops.trusts(input.peer)) return { name: forwarded, ignored: false };
    return { name: input.sni, ignored: true };
  }

  private serves(name: string): boolean {
    if (this.exact.has(name)) return true;
    const dot = name.indexOf(".");
    return dot > 0 && this.wildcardDomains.has(name.slice(dot));
  }
}
