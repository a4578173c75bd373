import { describe, expect, it } from "vitest";
import { type CheckInputSpec, checkInput } from "../support/check_input.js";
import { type ForwardingOptions, forwardingOf } from "../support/gatekeeper.js";

function check(options: ForwardingOptions, spec: CheckInputSpec) {
  return forwardingOf({ forwarding: options }).serverName.check(checkInput(spec))?.reason;
}

const SERVED = { sni: { required: true, hosts: ["api.bank.example", "*.psd2.bank.example"] } };

describe("SNI", () => {
  it("is not checked unless configured", () => {
    expect(check({}, {})).toBeUndefined();
    expect(check({}, { sni: "anything.example" })).toBeUndefined();
  });

  it("accepts a served host, case-insensitively", () => {
    expect(check(SERVED, { sni: "api.bank.example" })).toBeUndefined();
    expect(check(SERVED, { sni: "API.Bank.Example" })).toBeUndefined();
  });

  it("denies a host the listener does not serve with SNI_MISMATCH", () => {
    expect(check(SERVED, { sni: "evil.example" })).toBe("SNI_MISMATCH");
    expect(check(SERVED, { sni: "api.bank.example.evil.example" })).toBe("SNI_MISMATCH");
  });

  it("denies a missing SNI with SNI_MISSING when required", () => {
    expect(check(SERVED, {})).toBe("SNI_MISSING");
  });

  it("lets a missing SNI through when only hosts are listed, but still checks a present one", () => {
    const hostsOnly = { sni: { hosts: ["api.bank.example"] } };
    expect(check(hostsOnly, {})).toBeUndefined();
    expect(check(hostsOnly, { sni: "other.example" })).toBe("SNI_MISMATCH");
  });

  it("matches a wildcard on exactly one left-most label", () => {
    expect(check(SERVED, { sni: "fr.psd2.bank.example" })).toBeUndefined();
    expect(check(SERVED, { sni: "psd2.bank.example" })).toBe("SNI_MISMATCH");
    expect(check(SERVED, { sni: "a.fr.psd2.bank.example" })).toBe("SNI_MISMATCH");
  });

  it("takes the SNI a trusted hop forwards, over the SNI of the hop's own connection", () => {
    const behindProxy = { ...SERVED, trustedHops: { cidrs: ["127.0.0.0/8"] } };
    const forwarded = { "x-forwarded-sni": "api.bank.example" };
    expect(check(behindProxy, { sni: "lb.internal", headers: forwarded })).toBeUndefined();
    expect(check(behindProxy, { headers: { "x-forwarded-sni": "evil.example" } })).toBe("SNI_MISMATCH");
  });

  it("ignores a forwarded SNI from a peer that is not a trusted hop, and says so in the log detail", () => {
    const behindProxy = { ...SERVED, trustedHops: { cidrs: ["10.0.0.0/8"] } };
    const forwarded = { "x-forwarded-sni": "api.bank.example" };
    const missing = forwardingOf({ forwarding: behindProxy }).serverName.check(
      checkInput({ headers: forwarded }),
    );
    expect(missing?.reason).toBe("SNI_MISSING");
    expect(missing?.detail).toContain("127.0.0.1 is not a trusted hop");
    expect(check(behindProxy, { sni: "evil.example", headers: forwarded })).toBe("SNI_MISMATCH");
  });

  it("reads the forwarded SNI from the configured header", () => {
    const custom = { sni: { ...SERVED.sni, header: "x-ssl-server-name" }, trustedHops: { cidrs: ["::1"] } };
    const headers = { "x-ssl-server-name": "api.bank.example" };
    expect(check(custom, { address: "::1", headers })).toBeUndefined();
  });
});
