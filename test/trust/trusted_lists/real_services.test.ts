import type { X509Certificate } from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import { lotlSignersAnnouncedBy, verifyLotl } from "../../../src/trust/trusted_lists/lotl.js";
import type { TrustedList, TrustService } from "../../../src/trust/trusted_lists/model.js";
import { verifyTrustedList } from "../../../src/trust/trusted_lists/verify_list.js";
import { bytes, oj2019Certificates, pivotFetcher, REAL } from "./real_lists.js";

/**
 * Spot checks against the XML read by hand (see ../shared/fixtures/trusted-lists/SOURCES.md, and an
 * ElementTree dump of the same elements): what the reader returns is what the list says.
 */
const SVC = "http://uri.etsi.org/TrstSvc/Svctype/";
const STATUS = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/";
const EXT = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/";

let lotl2019: TrustedList;
let lotl2026: TrustedList;

beforeAll(async () => {
  lotl2019 = await verifyLotl(bytes(REAL.lotl248), "eu-lotl.xml", oj2019Certificates(), pivotFetcher([]));
  // LOTL 390 verifies with the set LOTL 378 announces; 378 is reached from the 2019 OJ through the pivots.
  const lotl378 = await verifyLotl(
    bytes(REAL.lotl378),
    "eu-lotl.xml",
    oj2019Certificates(),
    pivotFetcher([]),
  );
  lotl2026 = await verifyLotl(
    bytes(REAL.lotl390),
    "eu-lotl.xml",
    lotlSignersAnnouncedBy(lotl378),
    pivotFetcher([]),
  );
}, 120_000);

async function list(lotl: TrustedList, territory: string, file: string): Promise<TrustedList> {
  const signers: X509Certificate[] = lotl.pointers
    .filter((p) => p.territory === territory)
    .flatMap((p) => [...p.certificates]);
  return verifyTrustedList(bytes(file), file, signers);
}

function service(tl: TrustedList, name: string): TrustService {
  const found = tl.providers.flatMap((p) => p.services).filter((s) => s.current.name === name);
  expect(found, name).toHaveLength(1);
  return found[0] as TrustService;
}

describe("real services read right", () => {
  it("HR 2019 FINA '- QC': granted 2019-06-11 with WSA, history without WSA before", async () => {
    const fina = service(
      await list(lotl2019, "HR", REAL.hr2019),
      "Fina RDC 2015 Digital Certificate Registry - QC",
    );
    expect(fina.current.type).toBe(`${SVC}CA/QC`);
    expect(fina.current.status).toBe(`${STATUS}granted`);
    expect(fina.current.statusStartingTime.toISOString()).toBe("2019-06-11T22:00:00.000Z");
    expect(fina.current.additionalServiceInformation).toEqual([
      `${EXT}ForeSignatures`,
      `${EXT}ForeSeals`,
      `${EXT}ForWebSiteAuthentication`,
    ]);
    expect(fina.current.qualifications.flatMap((q) => q.qualifiers)).toEqual([
      `${EXT}QCWithQSCD`,
      `${EXT}QCStatement`,
    ]);
    expect(
      fina.history.map((h) => [
        h.status.slice(STATUS.length),
        h.statusStartingTime.toISOString().slice(0, 10),
        h.additionalServiceInformation.length,
      ]),
    ).toEqual([
      ["granted", "2017-06-30", 2],
      ["granted", "2016-06-30", 1],
      ["undersupervision", "2015-12-06", 0],
    ]);
    expect(fina.identity.certificates).toHaveLength(1);
  });

  it("LU 2026 LuxTrust SSL CA 5: withdrawn 2021-11-03, granted 2017-11-29 in history; subject name and SKI", async () => {
    const lux = service(await list(lotl2026, "LU", REAL.lu2026), "LuxTrust SSL Certification Authority 5");
    expect(lux.current.status).toBe(`${STATUS}withdrawn`);
    expect(lux.current.statusStartingTime.toISOString()).toBe("2021-11-03T09:08:00.000Z");
    expect(lux.history.map((h) => [h.status, h.statusStartingTime.toISOString()])).toEqual([
      [`${STATUS}granted`, "2017-11-29T01:00:00.000Z"],
    ]);
    expect(lux.identity.subjectNames).toEqual(["CN=LuxTrust SSL CA 5, O=LuxTrust S.A., C=LU"]);
    expect(lux.identity.skis).toEqual([
      Buffer.from("CZdFjhOsalxvH0FM9F7FwQzGbxk=", "base64").toString("hex"),
    ]);
  });

  it("NL 2026 QuoVadis Qualified Web ICA G1: three X509Certificates with one key and subject", async () => {
    const g1 = service(await list(lotl2026, "NL", REAL.nl2026), "QuoVadis Qualified Web ICA G1");
    expect(g1.identity.certificates).toHaveLength(3);
    const keys = new Set(
      g1.identity.certificates.map((c) => Buffer.from(c.publicKey.rawData).toString("base64")),
    );
    const subjects = new Set(g1.identity.certificates.map((c) => c.subject));
    expect([keys.size, subjects.size]).toEqual([1, 1]);
    expect(g1.history.map((h) => h.statusStartingTime.toISOString().slice(0, 10))).toEqual([
      "2019-05-21",
      "2018-02-26",
    ]);
  });

  it("PT 2026 MULTICERT SSL CA 001 (v6): qualifiers QCStatement and QCForWSA", async () => {
    const pt = await list(lotl2026, "PT", REAL.pt2026);
    expect(pt.version).toBe(6);
    const mc = service(pt, "MULTICERT SSL Certification Authority 001");
    expect(mc.current.qualifications.flatMap((q) => q.qualifiers)).toEqual([
      `${EXT}QCStatement`,
      `${EXT}QCForWSA`,
    ]);
    expect(mc.current.additionalServiceInformation).toEqual([`${EXT}ForWebSiteAuthentication`]);
  });

  it("MT 2026 ANF Trusted EV CA1: withdrawn, with a NotQualified qualifier", async () => {
    const anf = service(await list(lotl2026, "MT", REAL.mt2026), "ANF Trusted EV CA1");
    expect(anf.current.status).toBe(`${STATUS}withdrawn`);
    expect(anf.current.qualifications.flatMap((q) => q.qualifiers)).toEqual([`${EXT}NotQualified`]);
  });
});
