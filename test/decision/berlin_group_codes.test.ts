import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { denialHeaders, errorBody, retryAfterSeconds } from "../../src/decision/berlin_group.js";
import { DENY_REASONS, REASONS } from "../../src/foundation/reasons.js";

/** A copy of the framework's code lists per HTTP status, with its source named in the file. */
interface FrameworkCodes {
  readonly source: string;
  readonly codesByStatus: Readonly<Record<string, readonly string[]>>;
}

const framework = JSON.parse(
  readFileSync(new URL("./berlin_group_codes.json", import.meta.url), "utf8"),
) as FrameworkCodes;

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("the reason table against the NextGenPSD2 OpenAPI code lists", () => {
  it("names its source", () => {
    expect(framework.source).toMatch(/NextGenPSD2.*OpenAPI/);
  });

  for (const reason of DENY_REASONS) {
    const { status, code } = REASONS[reason];
    if (status === 503) {
      it(`${reason}: 503 has no framework code list, so it must carry Retry-After`, () => {
        expect(framework.codesByStatus["503"]).toEqual([]);
        expect(retryAfterSeconds(reason)).toBeGreaterThan(0);
      });
      continue;
    }
    it(`${reason}: ${code} is a code the framework lists under HTTP ${status}`, () => {
      expect(framework.codesByStatus[String(status)]).toContain(code);
    });
  }

  it("answers ROLE_INVALID with 401 and SERVICE_INVALID with 400, as the framework lists them", () => {
    expect(REASONS.ROLE_NOT_ALLOWED.status).toBe(401);
    expect(REASONS.ROUTE_NOT_ALLOWED).toMatchObject({ status: 400, code: "SERVICE_INVALID" });
    expect(REASONS.SNI_MISMATCH).toMatchObject({ status: 400, code: "SERVICE_INVALID" });
  });

  it("spells the revoked code as the OpenAPI file does, which generated clients accept", () => {
    expect(JSON.parse(errorBody("CERT_REVOKED")).tppMessages[0].code).toBe("CERTIFICATE_REVOKE");
  });

  it("answers a transient failure on the bank's side as 503 with Retry-After, not as a certificate fault", () => {
    expect(REASONS.REVOCATION_UNAVAILABLE.status).toBe(503);
    expect(denialHeaders("REVOCATION_UNAVAILABLE", "x-authz-reason", "id-1")).toContainEqual([
      "retry-after",
      "5",
    ]);
    expect(denialHeaders("CERT_EXPIRED", "x-authz-reason", "id-1").map(([name]) => name)).not.toContain(
      "retry-after",
    );
  });

  it("echoes a hostile request id only header-safe and bounded", () => {
    const [, value] = denialHeaders(
      "CERT_MISSING",
      "x-authz-reason",
      `a\r\nset-cookie: x${"z".repeat(500)}`,
    ).find(([name]) => name === "x-request-id")!;
    // Visible ASCII and spaces only: no CR/LF, so the id can neither split the header nor add one.
    expect(value).toMatch(/^[\x20-\x7e]+$/);
    expect(value.length).toBeLessThanOrEqual(600);
  });
});

describe("README's reason table says what src/foundation/reasons.ts says", () => {
  const rows = README.split("\n").filter((line) => /^\| `[A-Z_]+`/.test(line));
  for (const reason of DENY_REASONS) {
    it(`${reason}: README gives HTTP ${REASONS[reason].status} ${REASONS[reason].code}`, () => {
      const row = rows.find((line) => line.split("|")[1]!.includes(`\`${reason}\``));
      expect(row, `README has no row for ${reason}`).toBeDefined();
      const [, , status, code] = row!.split("|").map((cell) => cell.trim());
      expect(`${status} ${code?.split(",")[0]}`).toBe(`${REASONS[reason].status} ${REASONS[reason].code}`);
    });
  }
});
