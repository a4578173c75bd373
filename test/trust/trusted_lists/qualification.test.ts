import { beforeAll, describe, expect, it } from "vitest";
import { type IssuedCertificate, issueCertificate } from "../../../src/demo/certificate_factory.js";
import type { TrustedList } from "../../../src/trust/trusted_lists/model.js";
import {
  qualifyForWebsiteAuthentication,
  ServiceIndex,
} from "../../../src/trust/trusted_lists/qualification.js";
import { verifyTrustedList } from "../../../src/trust/trusted_lists/verify_list.js";
import { ASI, QUALIFIER, type ServiceSpec, STATUS, signedTsl } from "./tl_builder.js";

/** Lists we generate and sign (xmlsec1), for what the real lists cannot show. Clock pinned at NOW. */
const NOW = new Date("2025-03-01T00:00:00Z");
const d = (s: string): Date => new Date(`${s}T00:00:00Z`);
const QEVCP_W = "0.4.0.194112.1.4";
const EXCLUDED_POLICY = "1.3.6.1.4.1.99999.1";

const granted = STATUS("granted");
const withdrawn = STATUS("withdrawn");
const WSA = ASI("ForWebSiteAuthentication");
const ESEAL = ASI("ForeSeals");

let index: ServiceIndex;
const cas: Record<string, IssuedCertificate> = {};

async function ca(name: string): Promise<IssuedCertificate> {
  const issued = await issueCertificate({
    subject: `CN=${name}, O=Test QTSP, C=XX`,
    isCa: true,
    notBefore: d("2015-01-01"),
    notAfter: d("2035-01-01"),
  });
  cas[name] = issued;
  return issued;
}

function leaf(caName: string, notBefore: string, policies: string[] = [QEVCP_W]): Promise<IssuedCertificate> {
  const issuer = cas[caName];
  if (issuer === undefined) throw new Error(caName);
  return issueCertificate({
    subject: "CN=tpp.example, O=Example TPP, C=XX",
    issuer,
    notBefore: d(notBefore),
    notAfter: d("2027-01-01"),
    policies,
    qc: { types: ["web"] },
  });
}

async function qualify(caName: string, notBefore: string, policies?: string[]) {
  return qualifyForWebsiteAuthentication(index, (await leaf(caName, notBefore, policies)).cert, NOW);
}

beforeAll(async () => {
  const services = async (): Promise<ServiceSpec[]> => [
    {
      name: "granted-wsa",
      ca: (await ca("granted-wsa")).cert,
      status: granted,
      since: d("2018-01-01"),
      asi: [WSA],
    },
    {
      name: "withdrawn-then-regranted",
      ca: (await ca("withdrawn-then-regranted")).cert,
      status: granted,
      since: d("2023-01-01"),
      asi: [WSA],
      history: [
        { status: withdrawn, since: d("2021-01-01"), asi: [WSA] },
        { status: granted, since: d("2018-01-01"), asi: [WSA] },
      ],
    },
    {
      name: "withdrawn-after-issuance",
      ca: (await ca("withdrawn-after-issuance")).cert,
      status: withdrawn,
      since: d("2024-01-01"),
      asi: [WSA],
      history: [{ status: granted, since: d("2018-01-01"), asi: [WSA] }],
    },
    {
      name: "wsa-added-later",
      ca: (await ca("wsa-added-later")).cert,
      status: granted,
      since: d("2023-01-01"),
      asi: [ESEAL, WSA],
      history: [{ status: granted, since: d("2018-01-01"), asi: [ESEAL] }],
    },
    {
      name: "not-qualified-for-a-policy",
      ca: (await ca("not-qualified-for-a-policy")).cert,
      status: granted,
      since: d("2018-01-01"),
      asi: [WSA],
      qualifications: [{ qualifiers: [QUALIFIER("NotQualified")], policies: [EXCLUDED_POLICY] }],
    },
    {
      name: "qcforwsa-by-policy",
      ca: (await ca("qcforwsa-by-policy")).cert,
      status: granted,
      since: d("2018-01-01"),
      asi: [ESEAL],
      qualifications: [{ qualifiers: [QUALIFIER("QCForWSA")], policies: [QEVCP_W] }],
    },
    {
      name: "qcforeseal-on-wsa-asi",
      ca: (await ca("qcforeseal-on-wsa-asi")).cert,
      status: granted,
      since: d("2018-01-01"),
      asi: [WSA],
      qualifications: [{ qualifiers: [QUALIFIER("QCForESeal")], keyUsage: { digitalSignature: true } }],
    },
    {
      name: "eseal-only",
      ca: (await ca("eseal-only")).cert,
      status: granted,
      since: d("2018-01-01"),
      asi: [ESEAL],
    },
    {
      name: "conflict-a",
      ca: (await ca("conflicting")).cert,
      status: granted,
      since: d("2018-01-01"),
      asi: [WSA],
    },
  ];
  const all = await services();
  const conflicting = cas.conflicting as IssuedCertificate;
  const signer = await issueCertificate({
    subject: "CN=XX TL signer, C=XX",
    notBefore: d("2020-01-01"),
    notAfter: d("2030-01-01"),
  });
  const xx = await signedTsl(
    {
      territory: "XX",
      sequence: 7,
      issued: d("2025-01-01"),
      nextUpdate: d("2025-07-01"),
      providers: [{ name: "Test QTSP", services: all }],
    },
    signer,
  );
  // The same CA listed by a second territory, withdrawn there: the lists disagree.
  const yy = await signedTsl(
    {
      territory: "YY",
      sequence: 3,
      issued: d("2025-01-01"),
      nextUpdate: d("2025-07-01"),
      providers: [
        {
          name: "Other QTSP",
          services: [
            {
              name: "conflict-b",
              ca: conflicting.cert,
              status: withdrawn,
              since: d("2019-01-01"),
              asi: [WSA],
            },
          ],
        },
      ],
    },
    signer,
  );
  const lists: TrustedList[] = [
    await verifyTrustedList(xx, "XX.xml", [signer.cert]),
    await verifyTrustedList(yy, "YY.xml", [signer.cert]),
  ];
  index = new ServiceIndex(lists);
}, 120_000);

describe("qualified for website authentication at issuance and now (ETSI TS 119 615)", () => {
  it("granted with ForWebSiteAuthentication at issuance and now: qualified", async () => {
    expect(await qualify("granted-wsa", "2022-01-01")).toMatchObject({
      listed: true,
      qualified: true,
      rule: "granted-wsa",
      territory: "XX",
      tsp: "Test QTSP",
      service: "granted-wsa",
    });
  });

  it("withdrawn at issuance, granted again now: not qualified (the certificate was never issued under a granted service)", async () => {
    expect(await qualify("withdrawn-then-regranted", "2022-01-01")).toMatchObject({
      qualified: false,
      rule: "not-granted-at-issuance",
      statusAtIssuance: withdrawn,
      statusNow: granted,
    });
    expect(await qualify("withdrawn-then-regranted", "2020-01-01")).toMatchObject({ qualified: true });
  });

  it("granted at issuance, withdrawn after it: not qualified now", async () => {
    expect(await qualify("withdrawn-after-issuance", "2022-01-01")).toMatchObject({
      qualified: false,
      rule: "not-granted-now",
      statusAtIssuance: granted,
      statusNow: withdrawn,
    });
  });

  it("website authentication added later: a certificate issued before it is not qualified, one issued after is", async () => {
    expect(await qualify("wsa-added-later", "2022-01-01")).toMatchObject({
      qualified: false,
      rule: "wsa-not-applicable-at-issuance",
    });
    expect(await qualify("wsa-added-later", "2024-01-01")).toMatchObject({ qualified: true });
  });

  it("a NotQualified qualifier whose criteria select the certificate wins over granted + WSA", async () => {
    expect(
      await qualify("not-qualified-for-a-policy", "2022-01-01", [QEVCP_W, EXCLUDED_POLICY]),
    ).toMatchObject({
      qualified: false,
      rule: "not-qualified-qualifier",
    });
    expect(await qualify("not-qualified-for-a-policy", "2022-01-01", [QEVCP_W])).toMatchObject({
      qualified: true,
    });
  });

  it("a matching QCForWSA qualifier makes WSA apply on a service whose ASI says e-seals; a non-matching one does not", async () => {
    expect(await qualify("qcforwsa-by-policy", "2022-01-01", [QEVCP_W])).toMatchObject({ qualified: true });
    expect(await qualify("qcforwsa-by-policy", "2022-01-01", [])).toMatchObject({
      qualified: false,
      rule: "wsa-not-applicable-at-issuance",
    });
  });

  it("a matching QCForESeal qualifier overrides a WSA ASI: not for website authentication", async () => {
    expect(await qualify("qcforeseal-on-wsa-asi", "2022-01-01")).toMatchObject({
      qualified: false,
      rule: "wsa-not-applicable-at-issuance",
    });
  });

  it("a CA listed for e-seals only: listed, not qualified for website authentication", async () => {
    expect(await qualify("eseal-only", "2022-01-01")).toMatchObject({
      listed: true,
      qualified: false,
      service: "eseal-only",
    });
  });

  it("two services for one CA that disagree (granted in XX, withdrawn in YY): not qualified", async () => {
    expect(await qualify("conflicting", "2022-01-01")).toMatchObject({
      qualified: false,
      rule: "conflicting-services",
      territory: "YY",
    });
  });

  it("a CA with a listed CA's name but another key is not listed (matching is by key, not by name)", async () => {
    const impostor = await issueCertificate({
      subject: "CN=granted-wsa, O=Test QTSP, C=XX",
      isCa: true,
      notBefore: d("2015-01-01"),
      notAfter: d("2035-01-01"),
    });
    const tpp = await issueCertificate({
      subject: "CN=tpp.example, C=XX",
      issuer: impostor,
      notBefore: d("2022-01-01"),
      notAfter: d("2027-01-01"),
      qc: { types: ["web"] },
    });
    expect(await qualifyForWebsiteAuthentication(index, tpp.cert, NOW)).toEqual({ listed: false });
  });
});
