import { readFileSync } from "node:fs";
import { SubjectAlternativeNameExtension } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/demo/certificate_factory.js";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { envoyEncode } from "../source/encodings.js";
import { envoyXfccHeader, type SetCurrentClientCertDetails } from "../source/envoy_xfcc.js";
import { checkRequest, headerValue } from "../support/check_request.js";
import { type RunningGatekeeper, startGatekeeper } from "../support/gatekeeper.js";

/**
 * The red team's impersonation (issue 13, item 1), over gRPC on loopback: the gatekeeper configured as
 * docs/proxies.md prescribes when the calling Envoy sets XFCC itself with SANITIZE_SET (`sources: [xfcc]`,
 * every peer trusted), Envoy emitting the URI or DNS details. The attacker holds only the victim's public
 * certificate and presents a self-signed one whose SAN smuggles a second element (or pair) carrying it.
 * Every header here is what Envoy's mutateXfccRequestHeader builds for that connection (envoy_xfcc.ts).
 */

const BERLIN_GROUP = readFileSync(new URL("../../policies/berlin-group.yaml", import.meta.url), "utf8");
const TPP_ADDRESS = "203.0.113.77";

let pki: DemoPki;
let gk: RunningGatekeeper;

beforeAll(async () => {
  pki = await createDemoPki();
  gk = await startGatekeeper({
    anchors: [pki.root.cert],
    intermediates: [pki.intermediate.cert],
    policyYaml: BERLIN_GROUP,
    forwarding: { sources: ["xfcc"], trustedHops: { cidrs: ["0.0.0.0/0", "::/0"] } },
  });
});

afterAll(async () => {
  await gk?.close();
});

/** A self-signed certificate (the listener accepts untrusted ones) whose one SAN is `value`. */
async function attackerWith(type: "url" | "dns", value: string): Promise<string> {
  const attacker = await issueCertificate({
    subject: "CN=attacker.example, O=Attacker",
    extraExtensions: [new SubjectAlternativeNameExtension([{ type, value }])],
  });
  return attacker.pem;
}

async function check(method: string, path: string, xfcc: string | undefined) {
  const response = await gk.check(
    checkRequest({
      method,
      path,
      sourceAddress: TPP_ADDRESS,
      headers: xfcc === undefined ? {} : { "x-forwarded-client-cert": xfcc },
    }),
  );
  return {
    allowed: response.status.code === 0,
    reason: headerValue(response, "x-authz-reason"),
    orgId: headerValue(response, "x-tpp-organization-id"),
  };
}

/** The calling Envoy, SANITIZE_SET: whatever the client sent is replaced by one element about it. */
const sanitizeSet = (peer: string, details: SetCurrentClientCertDetails, clientSent?: string) =>
  envoyXfccHeader("SANITIZE_SET", clientSent, { peer }, details);

const cases = [
  {
    name: "GET accounts as an AIS TPP, through a URI SAN that starts a new element",
    victim: "tpp-ai",
    method: "GET",
    path: "/v1/accounts",
    san: "url",
    details: { cert: true, uri: true },
    smuggle: (victimPem: string) => `urn:x,Cert="${envoyEncode(victimPem)}"`,
  },
  {
    name: "POST payments as a PIS TPP, through a URI SAN that starts a new element",
    victim: "tpp-pi",
    method: "POST",
    path: "/v1/payments/sepa-credit-transfers",
    san: "url",
    details: { cert: true, subject: true, uri: true },
    smuggle: (victimPem: string) => `urn:x,Cert="${envoyEncode(victimPem)}"`,
  },
  {
    name: "POST funds-confirmations as a PIIS TPP, through a DNS SAN that starts a new element",
    victim: "tpp-ic",
    method: "POST",
    path: "/v1/funds-confirmations",
    san: "dns",
    details: { cert: true, dns: true },
    smuggle: (victimPem: string) => `x.example,Cert="${envoyEncode(victimPem)}"`,
  },
  {
    name: "GET accounts through a URI SAN that adds a pair to the element (Envoy not sending Cert itself)",
    victim: "tpp-ai",
    method: "GET",
    path: "/v1/accounts",
    san: "url",
    details: { chain: true, uri: true },
    smuggle: (victimPem: string) => `urn:x;Cert="${envoyEncode(victimPem)}"`,
  },
] as const;

describe("XFCC set by the calling Envoy (SANITIZE_SET) cannot be steered by a client's SAN", () => {
  it.each(cases)("denies impersonation: $name", async (attack) => {
    const victim = pki.tpps[attack.victim];
    const attackerPem = await attackerWith(attack.san, attack.smuggle(victim.pem));
    const header = sanitizeSet(attackerPem, attack.details);
    const result = await check(attack.method, attack.path, header);
    expect(result.allowed).toBe(false);
    expect(result.orgId).toBeUndefined();
    expect(result.reason).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });

  it.each(cases)("still allows the victim itself with the same Envoy settings: $name", async (attack) => {
    const victim = pki.tpps[attack.victim];
    const result = await check(attack.method, attack.path, sanitizeSet(victim.pem, attack.details));
    expect(result.allowed).toBe(true);
    expect(result.orgId).toBe(victim.cert.subjectName.getField("2.5.4.97")[0]);
  });

  it("keeps a Subject that smuggles a Cert inside its quotes (RFC 2253 escapes the quotes): the attacker is judged", async () => {
    const smuggled = `CN=x\\";Cert=\\"${envoyEncode(pki.tpps["tpp-ai"].pem)}, O=Attacker`;
    const attacker = await issueCertificate({ subject: smuggled });
    const header = sanitizeSet(attacker.pem, { cert: true, subject: true });
    expect(header).toContain('CN=x\\"\\;Cert=\\"');
    const result = await check("GET", "/v1/accounts", header);
    expect(result.allowed).toBe(false);
    expect(result.reason).toBe("CERT_UNTRUSTED");
  });

  it("ignores what the client sent: Envoy replaced it, and the attacker's own certificate is judged", async () => {
    const forged = `Hash=00;Cert="${envoyEncode(pki.tpps["tpp-all"].pem)}"`;
    const header = sanitizeSet(await attackerWith("url", "urn:attacker"), { cert: true, uri: true }, forged);
    const result = await check("GET", "/v1/accounts", header);
    expect(result.allowed).toBe(false);
    expect(result.reason).toBe("CERT_UNTRUSTED");
  });
});
