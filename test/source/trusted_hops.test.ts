import { describe, expect, it } from "vitest";
import type { PeerInput } from "../../src/foundation/check_input.js";
import { type Cidr, parseCidr, TrustedHop, TrustedHops } from "../../src/source/provenance/trusted_hops.js";

const peer = (address: string | undefined, principal?: string): PeerInput => ({
  address,
  principal,
  certificate: undefined,
});

function cidrs(...texts: string[]): Cidr[] {
  return texts.map((text) => {
    const cidr = parseCidr(text);
    if (cidr === undefined) throw new Error(`bad test CIDR ${text}`);
    return cidr;
  });
}

describe("trusted hops by address", () => {
  const hops = new TrustedHops([
    new TrustedHop(cidrs("10.0.0.0/8", "192.168.1.7", "2001:db8:42::/48", "::1"), []),
  ]);

  it.each([
    ["an address inside an IPv4 block", "10.200.3.4"],
    ["a single configured IPv4 address", "192.168.1.7"],
    ["an address inside an IPv6 block", "2001:db8:42:7::15"],
    ["the IPv6 loopback", "::1"],
    ["an IPv4-mapped IPv6 address inside an IPv4 block (dual-stack listener)", "::ffff:10.1.2.3"],
  ])("trusts %s", (_case, address) => {
    expect(hops.trusts(peer(address))).toBe(true);
  });

  it.each([
    ["the address next to a single configured one", "192.168.1.8"],
    ["an IPv4 address outside every block", "11.0.0.1"],
    ["an IPv6 address outside the block", "2001:db8:43::1"],
    ["no address (a Unix socket)", undefined],
    ["something that is not an address", "gateway.internal"],
  ])("does not trust %s", (_case, address) => {
    expect(hops.trusts(peer(address))).toBe(false);
  });
});

describe("trusted hops by principal", () => {
  const hops = new TrustedHops([new TrustedHop([], ["spiffe://cluster.local/ns/edge/sa/gateway"])]);

  it("trusts a peer whose mTLS principal is listed, whatever its address", () => {
    expect(hops.trusts(peer("203.0.113.9", "spiffe://cluster.local/ns/edge/sa/gateway"))).toBe(true);
  });

  it("compares principals exactly", () => {
    expect(hops.trusts(peer("203.0.113.9", "spiffe://cluster.local/ns/edge/sa/gateway2"))).toBe(false);
    expect(hops.trusts(peer("203.0.113.9", "SPIFFE://cluster.local/ns/edge/sa/gateway"))).toBe(false);
    expect(hops.trusts(peer("203.0.113.9"))).toBe(false);
  });
});

describe("no trusted hops (the default)", () => {
  it("trusts no one, not even loopback", () => {
    expect(TrustedHops.none().trusts(peer("127.0.0.1"))).toBe(false);
  });
});

describe("the answer per address, remembered", () => {
  it("gives the same answer when asked again, and still after more addresses than it remembers", () => {
    const hop = new TrustedHop(cidrs("10.0.0.0/24"), []);
    const addresses = Array.from({ length: 600 }, (_, i) => `10.0.${i % 3}.${i % 250}`);
    const first = addresses.map((address) => hop.matches(peer(address)));
    const again = addresses.map((address) => hop.matches(peer(address)));
    expect(again).toEqual(first);
    expect(first.filter(Boolean).length).toBe(200);
    expect(hop.matches(peer("10.0.0.7"))).toBe(true);
    expect(hop.matches(peer("10.0.1.7"))).toBe(false);
  });
});

describe("overlapping hops", () => {
  const nginx = new TrustedHop(cidrs("10.0.3.15"), []);
  const subnet = new TrustedHop(cidrs("10.0.3.0/24"), []);

  it("gives a peer the first hop listed that matches it, as a firewall rule list does", () => {
    expect(new TrustedHops([nginx, subnet]).match(peer("10.0.3.15"))).toBe(nginx);
    expect(new TrustedHops([subnet, nginx]).match(peer("10.0.3.15"))).toBe(subnet);
    expect(new TrustedHops([nginx, subnet]).match(peer("10.0.3.16"))).toBe(subnet);
  });
});

describe("CIDR syntax", () => {
  it.each([
    ["10.0.0.0/8", { address: "10.0.0.0", prefix: 8, family: "ipv4" }],
    ["127.0.0.1", { address: "127.0.0.1", prefix: 32, family: "ipv4" }],
    ["fd00::/8", { address: "fd00::", prefix: 8, family: "ipv6" }],
    ["::1", { address: "::1", prefix: 128, family: "ipv6" }],
  ])("reads %s", (text, expected) => {
    expect(parseCidr(text)).toEqual(expected);
  });

  it.each(["10.0.0.0/33", "fd00::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/-1", "fe80::1%eth0/64", "any"])(
    "refuses %s",
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );
});
