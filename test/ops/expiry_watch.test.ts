import { describe, expect, it } from "vitest";
import type { TppIdentity } from "../../src/decision/identity.js";
import { ExpiryWatch } from "../../src/ops/expiry_watch.js";

function identity(tpp: string, sha: string): TppIdentity {
  return {
    organizationIdentifier: tpp,
    organizationName: undefined,
    roles: ["PSP_AI"],
    unknownRoleOids: [],
    ncaId: "FR-ACPR",
    ncaName: "ACPR",
    certSha256: sha,
    certSerial: "01",
    certIssuer: "CN=Test CA",
    certNotAfter: "2030-01-01T00:00:00.000Z",
  };
}

describe("the expiry watch's bounded set", () => {
  it("forgets a TPP's per-TPP series only when its last watched certificate drops out", () => {
    const forgotten: [string, string, boolean][] = [];
    const watch = new ExpiryWatch({
      maxCertificates: 2,
      warn: () => {},
      gauge: () => {},
      forget: (tpp, sha, last) => forgotten.push([tpp, sha, last]),
    });
    const now = Date.parse("2026-01-01T00:00:00Z");
    watch.seen(identity("PSDFR-ACPR-1", "old"), now);
    watch.seen(identity("PSDFR-ACPR-1", "new"), now);
    watch.seen(identity("PSDDE-BAFIN-2", "x"), now);
    expect(forgotten).toEqual([["PSDFR-ACPR-1", "old", false]]);
    watch.seen(identity("PSDNL-DNB-3", "y"), now);
    expect(forgotten.at(-1)).toEqual(["PSDFR-ACPR-1", "new", true]);
  });
});
