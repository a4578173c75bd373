import { Version } from "@peculiar/asn1-x509";
import { BasicConstraintsExtension, Extension } from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  type IssuedCertificate,
} from "../../src/demo/certificate_factory.js";
import type { Result } from "../../src/foundation/result.js";
import { type ChainResult, verifyChain } from "../../src/trust/chain.js";
import type { TrustStore } from "../../src/trust/trust_store.js";
import { trustStoreFromCertificates } from "../../src/trust/trust_store.js";
import { withVersion } from "../support/reissue.js";
import {
  clientLeaf,
  intermediateCa,
  LEAF_VALIDITY,
  leafWithIssuerText,
  NOW,
  rootCa,
  rsaKeys,
  rsaPssRootAndLeaf,
} from "./pki_fixtures.js";

const ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";

function store(anchors: IssuedCertificate[], intermediates: IssuedCertificate[] = []): TrustStore {
  return trustStoreFromCertificates(
    anchors.map((a) => a.cert),
    intermediates.map((i) => i.cert),
  );
}

function expectPath(result: Result<ChainResult>, expected: IssuedCertificate[]): ChainResult {
  if (!result.ok) throw new Error(`expected a path, got ${result.error.reason}: ${result.error.detail}`);
  expect(result.value.path.map((c) => c.subject)).toEqual(expected.map((e) => e.cert.subject));
  expect(result.value.path.map((c) => c.serialNumber)).toEqual(expected.map((e) => e.cert.serialNumber));
  return result.value;
}

function expectDenial(result: Result<ChainResult>, reason: string, detail?: RegExp): void {
  if (result.ok) throw new Error(`expected ${reason}, got a path of ${result.value.path.length}`);
  expect(result.error.reason).toBe(reason);
  if (detail !== undefined) expect(result.error.detail).toMatch(detail);
}

describe("a valid path", () => {
  it("accepts an RSA root -> RSA intermediate -> RSA leaf", async () => {
    const root = await rootCa("CN=RSA Root, O=QTSP", { keyAlg: "RSA-2048" });
    const int = await intermediateCa("CN=RSA Issuing CA, O=QTSP", root, { keyAlg: "RSA-2048" });
    const leaf = await clientLeaf("CN=tpp.example", int, { keyAlg: "RSA-2048" });
    const result = expectPath(await verifyChain(leaf.cert, store([root], [int]), { now: NOW }), [
      leaf,
      int,
      root,
    ]);
    expect(result.issuer).toBe(int.cert);
    expect(result.anchor).toBe(root.cert);
  });

  it("accepts a P-256 chain", async () => {
    const root = await rootCa("CN=P256 Root", { keyAlg: "P-256" });
    const int = await intermediateCa("CN=P256 Issuing CA", root, { keyAlg: "P-256" });
    const leaf = await clientLeaf("CN=tpp.example", int, { keyAlg: "P-256" });
    expectPath(await verifyChain(leaf.cert, store([root], [int]), { now: NOW }), [leaf, int, root]);
  });

  it("accepts a P-384 chain signed with SHA-384", async () => {
    const root = await rootCa("CN=P384 Root", { keyAlg: "P-384" });
    const int = await intermediateCa("CN=P384 Issuing CA", root, { keyAlg: "P-384" });
    const leaf = await clientLeaf("CN=tpp.example", int, { keyAlg: "P-384" });
    expect(leaf.cert.signatureAlgorithm.hash.name).toBe("SHA-384");
    expectPath(await verifyChain(leaf.cert, store([root], [int]), { now: NOW }), [leaf, int, root]);
  });

  it("accepts mixed algorithms: RSA root, P-384 intermediate, P-256 intermediate, RSA leaf", async () => {
    const root = await rootCa("CN=Mixed Root", { keyAlg: "RSA-2048" });
    const int1 = await intermediateCa("CN=Mixed Policy CA", root, { keyAlg: "P-384" });
    const int2 = await intermediateCa("CN=Mixed Issuing CA", int1, { keyAlg: "P-256" });
    const leaf = await clientLeaf("CN=tpp.example", int2, { keyAlg: "RSA-2048" });
    expectPath(await verifyChain(leaf.cert, store([root], [int1, int2]), { now: NOW }), [
      leaf,
      int2,
      int1,
      root,
    ]);
  });

  it("accepts RSA-PSS signatures", async () => {
    const { root, leaf } = await rsaPssRootAndLeaf();
    expect(leaf.signatureAlgorithm).toMatchObject({ name: "RSA-PSS" });
    const result = await verifyChain(leaf, trustStoreFromCertificates([root]), { now: NOW });
    expect(result.ok && result.value.anchor).toBe(root);
  });

  it("accepts a leaf signed directly by an anchor; the anchor is then also the issuer", async () => {
    const root = await rootCa("CN=Direct Root");
    const leaf = await clientLeaf("CN=tpp.example", root);
    const result = expectPath(await verifyChain(leaf.cert, store([root]), { now: NOW }), [leaf, root]);
    expect(result.issuer).toBe(root.cert);
  });

  it("reports validUntil as the earliest notAfter on the path", async () => {
    const root = await rootCa("CN=Root");
    const shortLived = new Date("2025-09-30T00:00:00Z");
    const int = await intermediateCa("CN=Short CA", root, { notAfter: shortLived });
    const leaf = await clientLeaf("CN=tpp.example", int);
    const result = expectPath(await verifyChain(leaf.cert, store([root], [int]), { now: NOW }), [
      leaf,
      int,
      root,
    ]);
    expect(result.validUntil.toISOString()).toBe(shortLived.toISOString());
  });

  it("matches an issuer name that differs from the CA's subject only in string type and case", async () => {
    const root = await rootCa("CN=Example Root, O=Example QTSP", { keyAlg: "P-256" });
    // The factory writes UTF8String; the text form below becomes PrintableString, with other case.
    const leaf = await leafWithIssuerText("CN=tpp.example", "CN=EXAMPLE ROOT, O=example  qtsp", root);
    expect(
      Buffer.from(leaf.issuerName.toArrayBuffer()).equals(Buffer.from(root.cert.subjectName.toArrayBuffer())),
    ).toBe(false);
    const result = await verifyChain(leaf, store([root]), { now: NOW });
    expect(result.ok).toBe(true);
  });
});

describe("validity at `now`", () => {
  let root: IssuedCertificate;
  let int: IssuedCertificate;
  let leaf: IssuedCertificate;
  let trust: TrustStore;
  beforeAll(async () => {
    root = await rootCa("CN=Validity Root");
    int = await intermediateCa("CN=Validity CA", root);
    leaf = await clientLeaf("CN=tpp.example", int);
    trust = store([root], [int]);
  });

  it("denies an expired leaf with CERT_EXPIRED", async () => {
    const after = new Date(LEAF_VALIDITY.notAfter.getTime() + 1000);
    expectDenial(await verifyChain(leaf.cert, trust, { now: after }), "CERT_EXPIRED");
  });

  it("denies a leaf before its notBefore with CERT_NOT_YET_VALID", async () => {
    const before = new Date(LEAF_VALIDITY.notBefore.getTime() - 1000);
    expectDenial(await verifyChain(leaf.cert, trust, { now: before }), "CERT_NOT_YET_VALID");
  });

  it("counts notBefore and notAfter themselves as valid (RFC 5280 4.1.2.5)", async () => {
    expect((await verifyChain(leaf.cert, trust, { now: LEAF_VALIDITY.notBefore })).ok).toBe(true);
    expect((await verifyChain(leaf.cert, trust, { now: LEAF_VALIDITY.notAfter })).ok).toBe(true);
  });

  it("denies a path through an expired intermediate with CERT_CHAIN_INVALID naming it", async () => {
    const expired = await intermediateCa("CN=Expired CA", root, {
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2025-03-01T00:00:00Z"),
    });
    const stillValidLeaf = await clientLeaf("CN=tpp.example", expired);
    const result = await verifyChain(stillValidLeaf.cert, store([root], [expired]), { now: NOW });
    expectDenial(result, "CERT_CHAIN_INVALID", /intermediate "CN=Expired CA" expired/);
  });

  it("denies a path ending at an expired anchor with CERT_CHAIN_INVALID naming the anchor", async () => {
    const oldRoot = await rootCa("CN=Old Root", {
      notBefore: new Date("2010-01-01"),
      notAfter: new Date("2025-01-01"),
    });
    const oldLeaf = await clientLeaf("CN=tpp.example", oldRoot);
    const result = await verifyChain(oldLeaf.cert, store([oldRoot]), { now: NOW });
    expectDenial(result, "CERT_CHAIN_INVALID", /anchor "CN=Old Root" expired/);
  });

  it("takes a cross-certified path to a valid anchor when the direct anchor has expired", async () => {
    const oldRoot = await rootCa("CN=Rollover Root G1", {
      notBefore: new Date("2010-01-01"),
      notAfter: new Date("2025-01-01"),
    });
    const newRoot = await rootCa("CN=Rollover Root G2");
    const issuing = await intermediateCa("CN=Rollover Issuing CA", oldRoot);
    // The same issuing CA (same name, same key) certified again by the new root.
    const crossed = await intermediateCa("CN=Rollover Issuing CA", newRoot, { keys: issuing.keys });
    const crossLeaf = await clientLeaf("CN=tpp.example", issuing);
    const trustBoth = store([oldRoot, newRoot], [issuing, crossed]);
    const result = expectPath(await verifyChain(crossLeaf.cert, trustBoth, { now: NOW }), [
      crossLeaf,
      crossed,
      newRoot,
    ]);
    expect(result.anchor).toBe(newRoot.cert);
  });
});

describe("an issuer counts only if its key verifies the signature", () => {
  it("denies a leaf from an unknown CA with CERT_UNTRUSTED", async () => {
    const known = await rootCa("CN=Known Root");
    const unknown = await rootCa("CN=Unknown Root");
    const leaf = await clientLeaf("CN=tpp.example", unknown);
    expectDenial(
      await verifyChain(leaf.cert, store([known]), { now: NOW }),
      "CERT_UNTRUSTED",
      /CN=Unknown Root/,
    );
  });

  it("denies a leaf signed by a rogue CA that copies the anchor's name", async () => {
    const real = await rootCa("CN=Same Name Root, O=QTSP");
    const rogue = await rootCa("CN=Same Name Root, O=QTSP");
    const leaf = await clientLeaf("CN=tpp.example", rogue);
    expect(leaf.cert.issuer).toBe(real.cert.subject);
    expectDenial(await verifyChain(leaf.cert, store([real]), { now: NOW }), "CERT_UNTRUSTED");
    // Even when the client offers the rogue CA itself, it is at most an intermediate that chains nowhere.
    const offered = await verifyChain(leaf.cert, store([real]), { now: NOW, offered: [rogue.cert] });
    expectDenial(offered, "CERT_UNTRUSTED");
  });

  it("denies a rogue intermediate that claims the real intermediate's name", async () => {
    const root = await rootCa("CN=Root");
    const realInt = await intermediateCa("CN=Issuing CA", root);
    const rogueRoot = await rootCa("CN=Root");
    const rogueInt = await intermediateCa("CN=Issuing CA", rogueRoot);
    const leaf = await clientLeaf("CN=tpp.example", rogueInt);
    const trust = store([root], [realInt]);
    expectDenial(await verifyChain(leaf.cert, trust, { now: NOW }), "CERT_UNTRUSTED");
    const offered = await verifyChain(leaf.cert, trust, {
      now: NOW,
      offered: [rogueInt.cert, rogueRoot.cert],
    });
    expectDenial(offered, "CERT_UNTRUSTED");
  });

  it("finds the signer among two intermediates with the same name (a re-keyed CA)", async () => {
    const root = await rootCa("CN=Root");
    const oldKeyInt = await intermediateCa("CN=Issuing CA", root);
    const newKeyInt = await intermediateCa("CN=Issuing CA", root);
    const leaf = await clientLeaf("CN=tpp.example", newKeyInt, { authorityKeyIdentifier: false });
    const result = await verifyChain(leaf.cert, store([root], [oldKeyInt, newKeyInt]), { now: NOW });
    expect(expectPath(result, [leaf, newKeyInt, root]).issuer).toBe(newKeyInt.cert);
  });

  it("does not let an anchor anchor itself when presented as the leaf", async () => {
    const root = await rootCa("CN=Self Root", { extKeyUsage: [EKU_CLIENT_AUTH] });
    expectDenial(await verifyChain(root.cert, store([root]), { now: NOW }), "CERT_UNTRUSTED");
  });

  it("ends on a loop of CAs that certify each other without reaching an anchor", async () => {
    const anchor = await rootCa("CN=Unrelated Root");
    const a = await rootCa("CN=Loop A");
    const b = await intermediateCa("CN=Loop B", a);
    const aByB = await intermediateCa("CN=Loop A", b, { keys: a.keys });
    const leaf = await clientLeaf("CN=tpp.example", b);
    const result = await verifyChain(leaf.cert, store([anchor]), {
      now: NOW,
      offered: [a.cert, b.cert, aByB.cert],
    });
    expectDenial(result, "CERT_UNTRUSTED");
  });

  it("follows up to 8 issuers and no further", async () => {
    const root = await rootCa("CN=Deep Root");
    const chain: IssuedCertificate[] = [root];
    for (let i = 1; i <= 8; i++)
      chain.push(await intermediateCa(`CN=Deep CA ${i}`, chain[chain.length - 1]!));
    const trust = store([root], chain.slice(1));
    const atLimit = await clientLeaf("CN=tpp.example", chain[7]!); // 7 intermediates + anchor = 8 issuers
    expect((await verifyChain(atLimit.cert, trust, { now: NOW })).ok).toBe(true);
    const beyond = await clientLeaf("CN=tpp.example", chain[8]!); // 9 issuers
    expectDenial(
      await verifyChain(beyond.cert, trust, { now: NOW }),
      "CERT_UNTRUSTED",
      /longer than 8 issuers/,
    );
  });

  it("refuses a SHA-1 signature even from the real CA", async () => {
    const root = await rootCa("CN=SHA1 Root", { keys: await rsaKeys("SHA-1") });
    const leaf = await clientLeaf("CN=tpp.example", root);
    expect(leaf.cert.signatureAlgorithm.hash.name).toBe("SHA-1");
    expectDenial(
      await verifyChain(leaf.cert, store([root]), { now: NOW }),
      "CERT_UNTRUSTED",
      /SHA-1 is not accepted/,
    );
  });
});

describe("CA rules on issuers", () => {
  let root: IssuedCertificate;
  beforeAll(async () => {
    root = await rootCa("CN=Rules Root");
  });

  it("denies an intermediate without basicConstraints cA=true", async () => {
    const notCa = await intermediateCa("CN=Not A CA", root, { isCa: false, keyUsage: ["keyCertSign"] });
    const leaf = await clientLeaf("CN=tpp.example", notCa);
    const result = await verifyChain(leaf.cert, store([root], [notCa]), { now: NOW });
    expectDenial(result, "CERT_CHAIN_INVALID", /intermediate "CN=Not A CA" is not a CA/);
  });

  it("denies an intermediate whose keyUsage lacks keyCertSign", async () => {
    const noCertSign = await intermediateCa("CN=CRL Only CA", root, {
      keyUsage: ["cRLSign", "digitalSignature"],
    });
    const leaf = await clientLeaf("CN=tpp.example", noCertSign);
    const result = await verifyChain(leaf.cert, store([root], [noCertSign]), { now: NOW });
    expectDenial(result, "CERT_CHAIN_INVALID", /keyUsage lacks keyCertSign/);
  });

  it("denies a path longer than an issuer's pathLenConstraint allows", async () => {
    const constrained = await rootCa("CN=PathLen 0 Root", { pathLen: 0 });
    const int = await intermediateCa("CN=Under PathLen 0", constrained);
    const leaf = await clientLeaf("CN=tpp.example", int);
    const result = await verifyChain(leaf.cert, store([constrained], [int]), { now: NOW });
    expectDenial(result, "CERT_CHAIN_INVALID", /allows 0 intermediates below it, path has 1/);
    // The same root may still sign leaves directly.
    const direct = await clientLeaf("CN=direct.example", constrained);
    expect((await verifyChain(direct.cert, store([constrained]), { now: NOW })).ok).toBe(true);
  });

  it("enforces pathLenConstraint on an intermediate too", async () => {
    const int1 = await intermediateCa("CN=PathLen 0 CA", root, { pathLen: 0 });
    const int2 = await intermediateCa("CN=Below PathLen 0 CA", int1);
    const leaf = await clientLeaf("CN=tpp.example", int2);
    const result = await verifyChain(leaf.cert, store([root], [int1, int2]), { now: NOW });
    expectDenial(result, "CERT_CHAIN_INVALID", /intermediate "CN=PathLen 0 CA" allows 0/);
  });

  it("does not count a self-issued key-rollover certificate against pathLenConstraint (RFC 5280 4.2.1.9)", async () => {
    const constrained = await rootCa("CN=Rekey Root", { pathLen: 0 });
    const newKey = await intermediateCa("CN=Rekey Root", constrained); // same name, new key: self-issued
    const leaf = await clientLeaf("CN=tpp.example", newKey);
    expectPath(await verifyChain(leaf.cert, store([constrained], [newKey]), { now: NOW }), [
      leaf,
      newKey,
      constrained,
    ]);
  });

  it("denies an anchor that carries basicConstraints cA=false", async () => {
    const notCaAnchor = await rootCa("CN=Leafy Anchor", {
      isCa: false,
      keyUsage: [],
      extraExtensions: [new BasicConstraintsExtension(false, undefined, true)],
    });
    const leaf = await clientLeaf("CN=tpp.example", notCaAnchor);
    const result = await verifyChain(leaf.cert, store([notCaAnchor]), { now: NOW });
    expectDenial(result, "CERT_CHAIN_INVALID", /anchor "CN=Leafy Anchor" is not a CA/);
  });

  it("denies an issuer with a critical extension the verifier does not process", async () => {
    const unknownCritical = new Extension("1.3.6.1.4.1.55555.1", true, new Uint8Array([0x05, 0x00]));
    const int = await intermediateCa("CN=Exotic CA", root, { extraExtensions: [unknownCritical] });
    const leaf = await clientLeaf("CN=tpp.example", int);
    const result = await verifyChain(leaf.cert, store([root], [int]), { now: NOW });
    expectDenial(result, "CERT_CHAIN_INVALID", /unsupported critical extension 1\.3\.6\.1\.4\.1\.55555\.1/);
  });
});

describe("leaf rules for TLS client authentication", () => {
  let root: IssuedCertificate;
  let trust: TrustStore;
  beforeAll(async () => {
    root = await rootCa("CN=Leaf Rules Root");
    trust = store([root]);
  });

  it("denies a leaf whose extKeyUsage is serverAuth only", async () => {
    const leaf = await clientLeaf("CN=server.example", root, { extKeyUsage: [EKU_SERVER_AUTH] });
    expectDenial(await verifyChain(leaf.cert, trust, { now: NOW }), "CERT_CHAIN_INVALID", /clientAuth/);
  });

  it("accepts a leaf with serverAuth and clientAuth (the usual QWAC)", async () => {
    const leaf = await clientLeaf("CN=qwac.example", root, {
      extKeyUsage: [EKU_SERVER_AUTH, EKU_CLIENT_AUTH],
    });
    expect((await verifyChain(leaf.cert, trust, { now: NOW })).ok).toBe(true);
  });

  it("accepts a leaf without extKeyUsage", async () => {
    const leaf = await clientLeaf("CN=unrestricted.example", root, { extKeyUsage: [] });
    expect(leaf.cert.getExtension("2.5.29.37")).toBeNull();
    expect((await verifyChain(leaf.cert, trust, { now: NOW })).ok).toBe(true);
  });

  it("denies a leaf whose only extKeyUsage is anyExtendedKeyUsage", async () => {
    const leaf = await clientLeaf("CN=any.example", root, { extKeyUsage: [ANY_EXTENDED_KEY_USAGE] });
    const result = await verifyChain(leaf.cert, trust, { now: NOW });
    expectDenial(result, "CERT_CHAIN_INVALID", /anyExtendedKeyUsage is not accepted/);
  });

  it("denies a leaf that is itself a CA", async () => {
    const leaf = await clientLeaf("CN=ca-as-client.example", root, { isCa: true });
    expectDenial(
      await verifyChain(leaf.cert, trust, { now: NOW }),
      "CERT_CHAIN_INVALID",
      /is a CA certificate/,
    );
  });
});

describe("certificates offered by the client", () => {
  let root: IssuedCertificate;
  let int: IssuedCertificate;
  let leaf: IssuedCertificate;
  beforeAll(async () => {
    root = await rootCa("CN=Offer Root");
    int = await intermediateCa("CN=Offer Issuing CA", root);
    leaf = await clientLeaf("CN=tpp.example", int);
  });

  it("completes a path with an intermediate the store does not hold", async () => {
    const trust = store([root]);
    expectDenial(await verifyChain(leaf.cert, trust, { now: NOW }), "CERT_UNTRUSTED");
    const result = await verifyChain(leaf.cert, trust, {
      now: NOW,
      offered: [leaf.cert, int.cert, root.cert],
    });
    expectPath(result, [leaf, int, root]);
  });

  it("never takes a self-signed root offered by the client as an anchor", async () => {
    const ownRoot = await rootCa("CN=Client Own Root");
    const ownInt = await intermediateCa("CN=Client Own CA", ownRoot);
    const ownLeaf = await clientLeaf("CN=tpp.example", ownInt);
    const result = await verifyChain(ownLeaf.cert, store([root]), {
      now: NOW,
      offered: [ownInt.cert, ownRoot.cert],
    });
    expectDenial(result, "CERT_UNTRUSTED");
  });
});

describe("hostile certificate content becomes a denial, never an exception", () => {
  let root: IssuedCertificate;
  beforeAll(async () => {
    root = await rootCa("CN=Hostile Root");
  });

  it("denies a leaf with an undecodable basicConstraints as CERT_MALFORMED", async () => {
    const broken = new Extension("2.5.29.19", true, new Uint8Array([0x04, 0x01, 0xff]));
    const leaf = await clientLeaf("CN=tpp.example", root, { extraExtensions: [broken] });
    expectDenial(
      await verifyChain(leaf.cert, store([root]), { now: NOW }),
      "CERT_MALFORMED",
      /certificate structure/,
    );
  });

  it("denies a leaf that repeats an extension as CERT_MALFORMED (RFC 5280 4.2)", async () => {
    const eku = new Extension(
      "2.5.29.37",
      false,
      new Uint8Array([0x30, 0x0a, 0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 3, 2]),
    );
    const leaf = await clientLeaf("CN=tpp.example", root, { extraExtensions: [eku] });
    expectDenial(
      await verifyChain(leaf.cert, store([root]), { now: NOW }),
      "CERT_MALFORMED",
      /appears twice/,
    );
  });

  it.each([
    ["1", Version.v1],
    ["2", Version.v2],
  ])(
    "denies a correctly signed version %s leaf that carries extensions as CERT_MALFORMED (RFC 5280 4.1.2.1)",
    async (number, version) => {
      const leaf = await clientLeaf("CN=tpp.example", root);
      const downgraded = withVersion(leaf.cert, version, root);
      expectDenial(
        await verifyChain(downgraded, store([root]), { now: NOW }),
        "CERT_MALFORMED",
        new RegExp(`version ${number} certificate carries extensions`),
      );
    },
  );

  it("accepts the same leaf re-signed as version 3: only the version is refused", async () => {
    const leaf = await clientLeaf("CN=tpp.example", root);
    const resigned = withVersion(leaf.cert, Version.v3, root);
    expectPath(await verifyChain(resigned, store([root]), { now: NOW }), [leaf, root]);
  });

  it("skips an offered certificate whose own extensions are broken", async () => {
    const int = await intermediateCa("CN=Broken CA", root);
    const broken = new Extension("2.5.29.19", true, new Uint8Array([0x04, 0x01, 0xff]));
    const brokenCopy = await intermediateCa("CN=Broken CA", root, {
      keys: int.keys,
      isCa: false,
      extraExtensions: [broken],
    });
    const leaf = await clientLeaf("CN=tpp.example", int);
    const trust = store([root]);
    expectDenial(
      await verifyChain(leaf.cert, trust, { now: NOW, offered: [brokenCopy.cert] }),
      "CERT_UNTRUSTED",
    );
    expect((await verifyChain(leaf.cert, trust, { now: NOW, offered: [int.cert] })).ok).toBe(true);
  });

  it("treats an issuer whose key type does not match the signature as not the issuer", async () => {
    const rsaRoot = await rootCa("CN=Twin Root", { keyAlg: "RSA-2048" });
    const ecRoot = await rootCa("CN=Twin Root", { keyAlg: "P-256" });
    const leaf = await clientLeaf("CN=tpp.example", ecRoot);
    expectDenial(await verifyChain(leaf.cert, store([rsaRoot]), { now: NOW }), "CERT_UNTRUSTED");
    expect((await verifyChain(leaf.cert, store([rsaRoot, ecRoot]), { now: NOW })).ok).toBe(true);
  });
});
