import { describe, expect, it } from "vitest";
import type { Allow } from "../../src/decision/decision.js";
import type { HeaderList } from "../../src/decision/identity.js";
import { HttpAnswers } from "../../src/http/http_answer.js";

const settings = { headerPrefix: "x-tpp-", reasonHeader: "x-authz-reason" };
const identity: HeaderList = [
  ["x-tpp-organization-id", "PSDFR-ACPR-10001"],
  ["x-tpp-roles", "PSP_AI"],
];

function allow(overrides: Partial<Allow> = {}): Allow {
  return {
    allowed: true,
    route: { kind: "roles", ruleId: "ais", anyOf: ["PSP_AI"], mode: "enforce" },
    tpp: undefined,
    identityHeaders: identity,
    revocation: { status: "good", source: "ocsp" },
    certificateVia: "header",
    path: "/v1/accounts",
    wouldDeny: undefined,
    ...overrides,
  };
}

describe("the HTTP mode's answers", () => {
  it("builds a TPP's allow once and hands out the same answer afterwards", () => {
    const answers = new HttpAnswers();
    const first = answers.answer(allow(), settings, "r1");
    expect(first).toEqual({
      status: 200,
      head: ["x-tpp-organization-id", "PSDFR-ACPR-10001", "x-tpp-roles", "PSP_AI", "content-length", "0"],
      body: "",
    });
    expect(answers.answer(allow(), settings, "r2")).toBe(first);
  });

  it("builds an allow that carries a per-request mark each time, with the mark", () => {
    const answers = new HttpAnswers();
    const unchecked = allow({
      revocation: { status: "unchecked", code: "timeout", detail: "slow responder" },
    });
    const waived = allow({ wouldDeny: { reason: "ROLE_NOT_ALLOWED" } });
    expect(answers.answer(unchecked, settings, "r").head).toContain("x-tpp-revocation");
    expect(answers.answer(waived, settings, "r").head).toEqual(
      expect.arrayContaining(["x-tpp-dry-run-deny"]),
    );
    expect(answers.answer(waived, settings, "r")).not.toBe(answers.answer(waived, settings, "r"));
    expect(answers.answer(allow(), settings, "r").head).not.toContain("x-tpp-dry-run-deny");
  });

  it("gives a denial its reason, the request id and the byte length of its body", () => {
    const answer = new HttpAnswers().answer(
      {
        allowed: false,
        reason: "CERT_EXPIRED",
        detail: undefined,
        route: undefined,
        tpp: undefined,
        identityHeaders: [],
        revocation: undefined,
        certificateVia: "header",
        path: "/v1/accounts",
      },
      settings,
      "req-9",
    );
    expect(answer.status).toBe(401);
    const head = new Map<string, string>();
    for (let i = 0; i < answer.head.length; i += 2) head.set(answer.head[i]!, answer.head[i + 1]!);
    expect(head.get("x-authz-reason")).toBe("CERT_EXPIRED");
    expect(head.get("x-request-id")).toBe("req-9");
    expect(head.get("content-length")).toBe(String(Buffer.byteLength(answer.body)));
  });
});
