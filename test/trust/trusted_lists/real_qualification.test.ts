import { readFileSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import {
  loadMemberStateLists,
  lotlSignersAnnouncedBy,
  verifyLotl,
} from "../../../src/trust/trusted_lists/lotl.js";
import type { TrustedList } from "../../../src/trust/trusted_lists/model.js";
import {
  qualifyForWebsiteAuthentication,
  ServiceIndex,
} from "../../../src/trust/trusted_lists/qualification.js";
import { bytes, oj2019Certificates, pivotFetcher, REAL, TL_DIR, territoryFetcher } from "./real_lists.js";

/** Real TPP certificates against the real lists, the clock pinned inside each list's validity. */
const REAL_PSD2 = join(TL_DIR, "../real-psd2");
const realCert = (name: string): X509Certificate =>
  new X509Certificate(readFileSync(join(REAL_PSD2, name), "utf8"));

let lists2019: TrustedList[] = [];
let lists2026: TrustedList[] = [];

async function memberStates(lotl: TrustedList, files: Record<string, string>): Promise<TrustedList[]> {
  const outcomes = await loadMemberStateLists(
    lotl,
    territoryFetcher(lotl, files),
    new Set(Object.keys(files)),
  );
  return outcomes.flatMap((o) => (o.ok ? [o.list] : []));
}

beforeAll(async () => {
  const lotl248 = await verifyLotl(
    bytes(REAL.lotl248),
    "eu-lotl.xml",
    oj2019Certificates(),
    pivotFetcher([]),
  );
  lists2019 = await memberStates(lotl248, { CZ: REAL.cz2019, HR: REAL.hr2019, LU: REAL.lu2019 });
  const lotl378 = await verifyLotl(
    bytes(REAL.lotl378),
    "eu-lotl.xml",
    oj2019Certificates(),
    pivotFetcher([]),
  );
  const lotl390 = await verifyLotl(
    bytes(REAL.lotl390),
    "eu-lotl.xml",
    lotlSignersAnnouncedBy(lotl378),
    pivotFetcher([]),
  );
  lists2026 = await memberStates(lotl390, { PT: REAL.pt2026 });
  expect(lists2019.map((l) => l.territory)).toEqual(["CZ", "HR", "LU"]);
  expect(lists2026.map((l) => l.territory)).toEqual(["PT"]);
}, 120_000);

describe("real certificates get the qualification the real lists give them", () => {
  it("03 I.CA QWAC (2019-12-17) vs CZ 77 on 2020-01-15: qualified, service (104) granted", async () => {
    const q = await qualifyForWebsiteAuthentication(
      new ServiceIndex(lists2019),
      realCert("03-ica-creditas-qwac.pem"),
      new Date("2020-01-15T00:00:00Z"),
    );
    expect(q).toMatchObject({ listed: true, qualified: true, rule: "granted-wsa", territory: "CZ" });
    expect(q.listed && q.service).toContain("(104)");
  });

  it("07 FINA QWAC (2023-04-04) vs HR 27: the CA/QC service (not the '- NQC' one), granted with WSA since 2019-06-11", async () => {
    const q = await qualifyForWebsiteAuthentication(
      new ServiceIndex(lists2019),
      realCert("07-fina-partnerbanka-qwac.pem"),
      new Date("2023-05-01T00:00:00Z"),
    );
    expect(q).toMatchObject({
      listed: true,
      qualified: true,
      territory: "HR",
      service: "Fina RDC 2015 Digital Certificate Registry - QC",
      statusAtIssuance: "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted",
    });
  });

  it("02 MULTICERT QWAC vs PT 112 on 2026-06-01: qualified (QCForWSA, granted since 2018)", async () => {
    const q = await qualifyForWebsiteAuthentication(
      new ServiceIndex(lists2026),
      realCert("02-multicert-tink-qwac.pem"),
      new Date("2026-06-01T00:00:00Z"),
    );
    expect(q).toMatchObject({
      listed: true,
      qualified: true,
      tsp: expect.stringContaining("MULTICERT"),
      service: "MULTICERT SSL Certification Authority 001",
    });
  });

  it("01 MULTICERT QSealC vs PT 112: listed (its state at issuance from the 2018 history entry) but not for website authentication", async () => {
    const q = await qualifyForWebsiteAuthentication(
      new ServiceIndex(lists2026),
      realCert("01-multicert-tink-qsealc.pem"),
      new Date("2026-06-01T00:00:00Z"),
    );
    expect(q).toMatchObject({ listed: true, qualified: false, rule: "wsa-not-applicable-at-issuance" });
    expect(q.listed && q.statusAtIssuance).toBe("http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted");
  });

  it("03 I.CA QWAC vs the PT list: its issuer is not listed there", async () => {
    const q = await qualifyForWebsiteAuthentication(
      new ServiceIndex(lists2026),
      realCert("03-ica-creditas-qwac.pem"),
      new Date("2026-06-01T00:00:00Z"),
    );
    expect(q).toEqual({ listed: false });
  });
});
