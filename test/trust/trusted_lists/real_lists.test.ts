import { describe, expect, it } from "vitest";
import { TrustedListError } from "../../../src/trust/trusted_lists/errors.js";
import {
  loadMemberStateLists,
  lotlSignersAnnouncedBy,
  verifyLotl,
} from "../../../src/trust/trusted_lists/lotl.js";
import { verifyTrustedList } from "../../../src/trust/trusted_lists/verify_list.js";
import { bytes, oj2019Certificates, pivotFetcher, REAL, sha256Hex, territoryFetcher } from "./real_lists.js";

const EC_2024_SIGNER = "e0a620fbb6747362bb933ac44169d676a553444716cf5f31605f12a22b8396b1";

describe("the real LOTL and its pivots, from the 2019 Official Journal certificates", () => {
  it("walks pivots 282 -> 300 -> 335 -> 341 -> 378 and accepts LOTL 390 signed by the EC's 2024 certificate", async () => {
    const fetched: string[] = [];
    const lotl = await verifyLotl(
      bytes(REAL.lotl390),
      "eu-lotl.xml",
      oj2019Certificates(),
      pivotFetcher(fetched),
    );
    expect(lotl.sequenceNumber).toBe(390);
    expect(lotl.version).toBe(6);
    expect(sha256Hex(lotl.signer)).toBe(EC_2024_SIGNER);
    expect(fetched.map((u) => /pivot-(\d+)/.exec(u)?.[1])).toEqual(["282", "300", "335", "341", "378"]);
  });

  it("accepts LOTL 248 directly: its signer is in the 2019 OJ set, no pivot is fetched", async () => {
    const fetched: string[] = [];
    const lotl = await verifyLotl(
      bytes(REAL.lotl248),
      "eu-lotl.xml",
      oj2019Certificates(),
      pivotFetcher(fetched),
    );
    expect(lotl.sequenceNumber).toBe(248);
    expect(fetched).toEqual([]);
  });

  it("refuses LOTL 390 when a pivot in the chain is missing", async () => {
    const broken = async (location: string): Promise<Uint8Array> => {
      if (location.includes("pivot-335")) throw new TrustedListError("FETCH_FAILED", location);
      return pivotFetcher([])(location);
    };
    await expect(
      verifyLotl(bytes(REAL.lotl390), "eu-lotl.xml", oj2019Certificates(), broken),
    ).rejects.toMatchObject({
      code: "FETCH_FAILED",
    });
  });

  it("turns a pivot fetcher's plain error (a refused connection) into a typed FETCH_FAILED naming the pivot", async () => {
    const refused = async (location: string): Promise<Uint8Array> => {
      if (location.includes("pivot-300")) throw new Error("connect ECONNREFUSED 127.0.0.1:443");
      return pivotFetcher([])(location);
    };
    const outcome = await verifyLotl(bytes(REAL.lotl390), "eu-lotl.xml", oj2019Certificates(), refused).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(TrustedListError);
    expect(outcome).toMatchObject({ code: "FETCH_FAILED", message: expect.stringContaining("pivot-300") });
  });

  it("refuses LOTL 390 against the 2019 OJ set when pivots may not be followed", async () => {
    await expect(
      verifyLotl(bytes(REAL.lotl390), "eu-lotl.xml", oj2019Certificates(), pivotFetcher([]), {
        maxPivots: 2,
      }),
    ).rejects.toMatchObject({ code: "PIVOT_CHAIN_BROKEN" });
  });

  it("announces in LOTL 378 the six certificates of OJ C/2026/1944 (the EC's e0a620fb among them)", async () => {
    const lotl = await verifyLotl(bytes(REAL.lotl390), "eu-lotl.xml", oj2019Certificates(), pivotFetcher([]));
    const announced = lotlSignersAnnouncedBy(lotl).map(sha256Hex);
    expect(announced).toHaveLength(6);
    expect(announced).toContain(EC_2024_SIGNER);
  });
});

describe("every real Member State list verifies with a certificate its LOTL pointer names", () => {
  it("LOTL 248 (2019): CZ, DK, HR, LU", async () => {
    const lotl = await verifyLotl(bytes(REAL.lotl248), "eu-lotl.xml", oj2019Certificates(), pivotFetcher([]));
    const files = { CZ: REAL.cz2019, DK: REAL.dk2019, HR: REAL.hr2019, LU: REAL.lu2019 };
    const outcomes = await loadMemberStateLists(
      lotl,
      territoryFetcher(lotl, files),
      new Set(Object.keys(files)),
    );
    expect(outcomes.map((o) => [o.territory, o.ok, o.ok ? o.list.sequenceNumber : o.error.code])).toEqual([
      ["CZ", true, 77],
      ["DK", true, 22],
      ["HR", true, 27],
      ["LU", true, 37],
    ]);
  });

  it("LOTL 390 (2026): EL (ECDSA), FI, LU, MT, NL, PT; HR 2024 is refused, its signer is no longer announced", async () => {
    const lotl = await verifyLotl(bytes(REAL.lotl390), "eu-lotl.xml", oj2019Certificates(), pivotFetcher([]));
    const files = {
      EL: REAL.el2026,
      FI: REAL.fi2026,
      HR: REAL.hr2024,
      LU: REAL.lu2026,
      MT: REAL.mt2026,
      NL: REAL.nl2026,
      PT: REAL.pt2026,
    };
    const outcomes = await loadMemberStateLists(
      lotl,
      territoryFetcher(lotl, files),
      new Set(Object.keys(files)),
    );
    const summary = Object.fromEntries(
      outcomes.map((o) => [o.territory, o.ok ? o.list.sequenceNumber : o.error.code]),
    );
    expect(summary).toEqual({ EL: 85, FI: 54, HR: "SIGNER_NOT_ANNOUNCED", LU: 66, MT: 55, NL: 76, PT: 112 });
  });

  it("pivot 341 (2024) still announced the HR signer of HR list 52", async () => {
    const pivot = await verifyLotl(
      bytes(REAL.pivot341),
      "eu-lotl-pivot-341.xml",
      oj2019Certificates(),
      pivotFetcher([]),
    );
    const outcomes = await loadMemberStateLists(
      pivot,
      territoryFetcher(pivot, { HR: REAL.hr2024 }),
      new Set(["HR"]),
    );
    expect(outcomes.map((o) => (o.ok ? o.list.sequenceNumber : o.error.code))).toEqual([52]);
  });

  it("an unreachable territory fails alone and the others load", async () => {
    const lotl = await verifyLotl(bytes(REAL.lotl248), "eu-lotl.xml", oj2019Certificates(), pivotFetcher([]));
    const outcomes = await loadMemberStateLists(
      lotl,
      territoryFetcher(lotl, { DK: REAL.dk2019 }),
      new Set(["DK", "LU"]),
    );
    expect(outcomes.map((o) => [o.territory, o.ok ? "ok" : o.error.code])).toEqual([
      ["DK", "ok"],
      ["LU", "FETCH_FAILED"],
    ]);
  });
});

describe("a list is read with the certificate that signed it", () => {
  it("refuses DK 2019 offered with the CZ pointer's certificates", async () => {
    const lotl = await verifyLotl(bytes(REAL.lotl248), "eu-lotl.xml", oj2019Certificates(), pivotFetcher([]));
    const cz = lotl.pointers.find((p) => p.territory === "CZ");
    expect(cz?.certificates.length).toBeGreaterThan(0);
    await expect(
      verifyTrustedList(bytes(REAL.dk2019), "DK.xml", cz?.certificates ?? []),
    ).rejects.toMatchObject({
      code: "SIGNER_NOT_ANNOUNCED",
    });
  });
});
