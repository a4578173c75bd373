import { readFileSync } from "node:fs";
import { BasicConstraintsExtension, type X509Certificate, X509CertificateGenerator } from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import {
  issuerPolicies,
  type RevocationConfigInput,
  revocationConfigSchema,
} from "../../src/revocation/config.js";
import type { RevocationSubject } from "../../src/revocation/revocation.js";
import { prepareSubject } from "../../src/revocation/subject.js";

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const FINGERPRINT = "ab".repeat(32);

function issuesOf(input: unknown): string[] {
  const result = revocationConfigSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("revocationConfigSchema", () => {
  it("fills an empty section with the safe defaults", () => {
    expect(revocationConfigSchema.parse({})).toMatchObject({
      enabled: true,
      failMode: "hard",
      timeoutMs: 200,
      hash: "sha1",
      nonce: false,
      useGet: false,
      preferCrl: false,
      trySecondSource: true,
      issuers: [],
    });
  });

  it("keeps the default first-sight wait inside envoy/envoy.yaml's ext_authz timeout, with 50 ms to spare", () => {
    const envoy = readFileSync(new URL("../../envoy/envoy.yaml", import.meta.url), "utf8");
    const timeout = /cluster_name: psd2_gatekeeper\n[\s\S]*?timeout: ([\d.]+)s/.exec(envoy)?.[1];
    expect(timeout).toBeDefined();
    expect(revocationConfigSchema.parse({}).timeoutMs).toBeLessThanOrEqual(Number(timeout) * 1000 - 50);
  });

  it("refuses an unknown key", () => {
    expect(issuesOf({ failmode: "soft" })).toEqual([expect.stringMatching(/Unrecognized key/)]);
  });

  it("refuses an unknown fail mode", () => {
    expect(issuesOf({ failMode: "open" })).toHaveLength(1);
  });

  it("refuses a fetch timeout shorter than the Check's wait", () => {
    expect(issuesOf({ timeoutMs: 200, fetchTimeoutMs: 100 })).toEqual([
      "fetchTimeoutMs: must be at least timeoutMs",
    ]);
  });

  it("accepts a fingerprint as openssl prints it, with colons and capitals", () => {
    const colons = FINGERPRINT.toUpperCase().match(/../g)?.join(":");
    const config = revocationConfigSchema.parse({
      issuers: [{ match: { sha256: colons }, failMode: "soft" }],
    });
    expect(config.issuers[0]?.match.sha256).toBe(FINGERPRINT);
  });

  it.each<[string, RevocationConfigInput["issuers"]]>([
    ["a short fingerprint", [{ match: { sha256: "abcd" } }]],
    ["both sha256 and subject", [{ match: { sha256: FINGERPRINT, subject: "CN=CA" } }]],
    ["neither sha256 nor subject", [{ match: {} }]],
    ["an ldap responder URL", [{ match: { sha256: FINGERPRINT }, ocspUrl: "ldap://x/" }]],
    ["the same issuer twice", [{ match: { sha256: FINGERPRINT } }, { match: { sha256: FINGERPRINT } }]],
  ])("refuses an issuer entry with %s", (_case, issuers) => {
    expect(issuesOf({ issuers })).not.toEqual([]);
  });
});

describe("issuerPolicies", () => {
  let subject: RevocationSubject;

  beforeAll(async () => {
    const keys = await crypto.subtle.generateKey(EC, false, ["sign", "verify"]);
    const ca: X509Certificate = await X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: "C=FR, O=Test QTSP, CN=Policy Test CA",
      keys,
      signingAlgorithm: EC,
      extensions: [new BasicConstraintsExtension(true, undefined, true)],
    });
    const prepared = prepareSubject(ca, ca);
    if (!prepared.ok) throw new Error(prepared.error.detail);
    subject = prepared.value;
  });

  it("uses the global settings for an issuer without an entry", () => {
    const policyOf = issuerPolicies(revocationConfigSchema.parse({ failMode: "soft" }));
    expect(policyOf(subject)).toMatchObject({ failMode: "soft", ocspUrl: undefined });
  });

  it("selects an entry by the issuer certificate's fingerprint", () => {
    const config = revocationConfigSchema.parse({
      issuers: [{ match: { sha256: subject.issuerFingerprint }, failMode: "stale-if-error" }],
    });
    expect(issuerPolicies(config)(subject)).toMatchObject({ failMode: "stale-if-error", timeoutMs: 200 });
  });

  it("selects an entry by the issuer's subject, however its separators are spaced", () => {
    const config = revocationConfigSchema.parse({
      issuers: [
        { match: { subject: "C=FR,O=Test QTSP,CN=Policy Test CA" }, ocspUrl: "http://127.0.0.1:1/ocsp" },
      ],
    });
    expect(issuerPolicies(config)(subject)).toMatchObject({
      failMode: "hard",
      ocspUrl: "http://127.0.0.1:1/ocsp",
    });
  });

  it("does not select an entry for another issuer's subject", () => {
    const config = revocationConfigSchema.parse({
      issuers: [{ match: { subject: "C=FR, O=Test QTSP, CN=Another CA" }, failMode: "soft" }],
    });
    expect(issuerPolicies(config)(subject).failMode).toBe("hard");
  });
});
