import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TL_DIR } from "../trust/trusted_lists/real_lists.js";
import { runQwac, stopRunningQwac } from "./support.js";

/** `qwac trusted-lists` on the real 2019 lists (read from ../shared) and on an altered copy in a temp dir. */
const dir = mkdtempSync(join(tmpdir(), "qwac-tl-"));
const OJ_2019 = join(dir, "oj-2019.pem");
writeFileSync(
  OJ_2019,
  readdirSync(join(TL_DIR, "oj-2019"))
    .map((f) => readFileSync(join(TL_DIR, "oj-2019", f), "utf8"))
    .join("\n"),
);

afterAll(() => {
  stopRunningQwac();
  rmSync(dir, { recursive: true, force: true });
});

describe("qwac trusted-lists", () => {
  it("verifies LOTL 248 from the 2019 OJ certificates and each TL against its pointer, listing QWAC services", async () => {
    const run = await runQwac(["trusted-lists", join(TL_DIR, "2019"), "--signers", OJ_2019]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/EU seq 248 v5.*verified from --signers/);
    expect(run.stdout).toMatch(/CZ seq 77 v5.*verified with the LOTL 248 pointer/);
    expect(run.stdout).toContain(
      "(104) I.CA - issuing qualified certificates for website authentication: granted since 2018-02-07",
    );
    expect(run.stdout).toContain("LuxTrust SSL Certification Authority 5: granted since 2017-11-29");
    expect(run.stdout).not.toContain("REFUSED");
  });

  it("reports an altered list as REFUSED with its code and exits 1", async () => {
    const altered = join(dir, "DK.xml");
    const original = readFileSync(join(TL_DIR, "2019/DK-tl-seq22-2019-08-05.xml"), "utf8");
    writeFileSync(altered, original.replace("<TSLSequenceNumber>22<", "<TSLSequenceNumber>23<"));
    const run = await runQwac(["trusted-lists", altered]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("REFUSED SIGNATURE_INVALID");
  });
});
