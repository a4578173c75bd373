import { BlockList, isIP } from "node:net";
import type { PeerInput } from "../../foundation/check_input.js";
import type { ForwardedSignatureCheck } from "./message_signature/forwarded_signature.js";

/** An address block, already validated: `10.0.0.0/8`, `2001:db8::/32`, or one address (`/32`, `/128`). */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: "ipv4" | "ipv6";
}

const MAX_REMEMBERED_ADDRESSES = 256;

/**
 * One proxy allowed to tell us which certificate a client presented: the connection's peer (Envoy's
 * `source.address`, or the socket address in the HTTP mode) inside one of its blocks, or Envoy's
 * `source.principal` (the peer's mTLS identity) in its list. It may also have to sign what it forwards
 * (RFC 9421), so that a hop between it and us cannot change the certificate header unnoticed.
 */
export class TrustedHop {
  private readonly blocks = new BlockList();
  /**
   * The blocks' answer per peer address already asked about. BlockList.check builds a SocketAddress per
   * call, which cost more than the rest of the warm HTTP path's source step; the proxies asking are a
   * handful of addresses, asked thousands of times a second. Bounded: a flood of addresses only makes it
   * start over.
   */
  private readonly answers = new Map<string, boolean>();
  private readonly principals: ReadonlySet<string>;
  /** Nothing configured: matches no peer. */
  readonly empty: boolean;

  constructor(
    cidrs: readonly Cidr[],
    principals: readonly string[],
    /** undefined: the hop's forwarded headers are believed unsigned (`signature.mode: off`). */
    readonly signature?: ForwardedSignatureCheck,
  ) {
    for (const cidr of cidrs) this.blocks.addSubnet(cidr.address, cidr.prefix, cidr.family);
    this.principals = new Set(principals);
    this.empty = cidrs.length === 0 && principals.length === 0;
  }

  /** IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, a dual-stack listener) match IPv4 blocks, as BlockList does. */
  matches(peer: PeerInput): boolean {
    if (this.empty) return false;
    if (peer.principal !== undefined && this.principals.has(peer.principal)) return true;
    const address = peer.address;
    if (address === undefined) return false;
    const known = this.answers.get(address);
    if (known !== undefined) return known;
    const family = isIP(address);
    const inside = family !== 0 && this.blocks.check(address, family === 6 ? "ipv6" : "ipv4");
    if (this.answers.size >= MAX_REMEMBERED_ADDRESSES) this.answers.clear();
    this.answers.set(address, inside);
    return inside;
  }
}

/**
 * The trusted hops, in the configured order. Anyone else could simply type a certificate header, so a
 * forwarded certificate from them is worthless. When hops overlap (a broad block and one address in it),
 * the first one listed that matches is the peer's hop, as in a firewall rule list: list the specific
 * hop, and the one that must sign, first.
 */
export class TrustedHops {
  constructor(private readonly hops: readonly TrustedHop[]) {}

  static none(): TrustedHops {
    return new TrustedHops([]);
  }

  match(peer: PeerInput): TrustedHop | undefined {
    for (const hop of this.hops) if (hop.matches(peer)) return hop;
    return undefined;
  }

  trusts(peer: PeerInput): boolean {
    return this.match(peer) !== undefined;
  }
}

/** `address/prefix` or a bare address; undefined when it is neither (the config schema reports it). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0 || address.includes("%")) return undefined;
  const family = version === 6 ? "ipv6" : "ipv4";
  const max = version === 6 ? 128 : 32;
  if (slash < 0) return { address, prefix: max, family };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= max ? { address, prefix, family } : undefined;
}
