import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/cli/args.js";
import { expectError } from "../support/expect_ok.js";

/** The command line in-process: every mistake is a message for the user, never an exception. */
describe("qwac arguments", () => {
  it("reads inspect with a config, a request, --json, --no-revocation and --at", () => {
    const parsed = parseCommand([
      "inspect",
      "tpp.pem",
      "-c",
      "service.yaml",
      "-X",
      "POST",
      "-p",
      "/v1/payments/sepa-credit-transfers",
      "--json",
      "--no-revocation",
      "--at",
      "2030-01-31",
    ]);
    expect(parsed).toEqual({
      ok: true,
      command: {
        kind: "inspect",
        input: "tpp.pem",
        configFile: "service.yaml",
        request: { method: "POST", path: "/v1/payments/sepa-credit-transfers" },
        json: true,
        revocation: false,
        at: new Date("2030-01-31T00:00:00Z"),
      },
    });
  });

  it("takes - as stdin", () => {
    expect(parseCommand(["inspect", "-"])).toMatchObject({ ok: true, command: { input: "-" } });
  });

  it("reads check-config", () => {
    expect(parseCommand(["check-config", "service.yaml", "--json"])).toEqual({
      ok: true,
      command: { kind: "check-config", configFile: "service.yaml", json: true, at: undefined },
    });
  });

  it.each([
    [["inspect"], "inspect needs a certificate file"],
    [["inspect", "a.pem", "b.pem"], 'got also "b.pem"'],
    [["inspect", "x.pem", "--method", "get", "--path", "/v1/accounts", "-c", "c.yaml"], "did you mean GET?"],
    [["inspect", "x.pem", "--method", "GET", "--path", "/v1/accounts"], "--method/--path need --config"],
    [["inspect", "x.pem", "--method", "GET", "-c", "c.yaml"], "--method and --path go together"],
    [["inspect", "x.pem", "--at", "next tuesday"], "is not an ISO 8601 date"],
    [["inspect", "x.pem", "--at", "2025-02-24T25:00:00Z"], "is not an ISO 8601 date"],
    [["inspect", "x.pem", "--at", "2025-02-30"], "is not an ISO 8601 date"],
    [["check-config", "c.yaml", "--method", "GET"], "check-config does not take --method"],
    [["check-config"], "check-config needs a config file"],
    [["inspect", "x.pem", "--bogus"], "Unknown option '--bogus'"],
    [["inspect", "x.pem", "--config"], "argument missing"],
    [["frobnicate"], 'unknown command "frobnicate"'],
    [[], "no command given"],
  ])("refuses %j", (args, message) => {
    const parsed = parseCommand(args);
    expectError(parsed);
    expect(parsed.message).toContain(message);
  });

  it.each([[["--help"]], [["help"]], [["inspect", "--help"]], [["check-config", "-h"]]])(
    "gives help for %j",
    (args) => {
      expect(parseCommand(args)).toEqual({ ok: true, command: { kind: "help" } });
    },
  );
});
