import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Decision } from "../src/decision/decision.js";
import type { TppIdentity } from "../src/decision/identity.js";
import type { CheckInput } from "../src/foundation/check_input.js";
import { DecisionLog } from "../src/ops/decision_log.js";
import { createLogger } from "../src/ops/log.js";

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

const tpp = (unknownRoleOids: string[] = []): TppIdentity => ({
  organizationIdentifier: "PSDFR-ACPR-12345",
  organizationName: "Demo SAS",
  roles: ["PSP_AI", "PSP_PI"],
  unknownRoleOids,
  ncaId: "FR-ACPR",
  ncaName: "ACPR",
  certSha256: "ab".repeat(32),
  certSerial: "01",
  certIssuer: "CN=Test CA",
  certNotAfter: "2030-01-01T00:00:00.000Z",
});

const input: CheckInput = {
  requestId: "req-7",
  method: "GET",
  rawPath: "/v1/accounts?iban=DE89370400440532013000",
  host: "api.bank.example",
  headers: new Map(),
  peer: { address: "127.0.0.1", principal: undefined, certificate: "secret-cert" },
  sni: undefined,
  contextExtensions: {},
};

const allow = (identity: TppIdentity): Decision => ({
  allowed: true,
  route: { kind: "roles", ruleId: "ais", anyOf: ["PSP_AI"], mode: "enforce" },
  tpp: identity,
  identityHeaders: [],
  revocation: { status: "good", source: "ocsp" },
  certificateVia: "peer",
  path: "/v1/accounts",
  wouldDeny: undefined,
});

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("the decision log", () => {
  it("writes the TPP's fields with each line, and nothing of the certificate or the query", async () => {
    const { logger, lines } = capture("info");
    const log = new DecisionLog(logger);
    const identity = tpp();
    log.write(input, allow(identity), 12);
    log.write(input, allow(identity), 13);
    await flush();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      tppId: "PSDFR-ACPR-12345",
      roles: ["PSP_AI", "PSP_PI"],
      reqId: "req-7",
      method: "GET",
      path: "/v1/accounts",
      decision: "allow",
      revocation: "good",
      via: "peer",
      us: 13,
      msg: "allow",
    });
    expect(lines[1]).not.toHaveProperty("unknownRoles");
    expect(JSON.stringify(lines)).not.toMatch(/secret-cert|DE89370400440532013000/);
  });

  it("names roles it does not grant", async () => {
    const { logger, lines } = capture("info");
    new DecisionLog(logger).write(input, allow(tpp(["0.4.0.19495.1.9"])), 1);
    await flush();
    expect(lines[0]).toMatchObject({ unknownRoles: ["0.4.0.19495.1.9"] });
  });

  it("follows the level a reload sets, also for a TPP already seen", async () => {
    const { logger, lines } = capture("info");
    const log = new DecisionLog(logger);
    const identity = tpp();
    log.write(input, allow(identity), 1);
    logger.level = "warn";
    log.write(input, allow(identity), 2);
    logger.level = "info";
    log.write(input, allow(identity), 3);
    await flush();
    expect(lines.map((line) => line.us)).toEqual([1, 3]);
  });
});

describe("the allow line", () => {
  afterEach(() => vi.useRealTimers());

  function rawCapture(level: string) {
    const raw: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw.push(chunk.toString());
        done();
      },
    });
    return { logger: createLogger(level, sink), raw };
  }

  it("is the line pino writes for the same fields, byte for byte", async () => {
    vi.useFakeTimers({ now: new Date("2026-12-03T06:20:44.007Z"), toFake: ["Date"] });
    const identity = tpp(["0.4.0.19495.1.9"]);
    const ours = rawCapture("info");
    new DecisionLog(ours.logger).write(
      { ...input, requestId: 'quote " and \\ and \u2028' },
      allow(identity),
      42,
    );
    const pinos = rawCapture("info");
    pinos.logger
      .child({
        tppId: identity.organizationIdentifier,
        roles: identity.roles,
        unknownRoles: identity.unknownRoleOids,
      })
      .info(
        {
          reqId: 'quote " and \\ and \u2028',
          method: "GET",
          path: "/v1/accounts",
          decision: "allow",
          revocation: "good",
          via: "peer",
          us: 42,
        },
        "allow",
      );
    await flush();
    expect(ours.raw.join("")).toBe(pinos.raw.join(""));
    expect(JSON.parse(ours.raw.join(""))).toMatchObject({ time: "2026-12-03T06:20:44.007Z", level: "info" });
  });

  it("goes through pino for a logger whose lines pino shapes further (a mixin)", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logger = pino({ mixin: () => ({ zone: "eu-1" }) }, sink);
    new DecisionLog(logger).write(input, allow(tpp()), 5);
    await flush();
    expect(lines[0]).toMatchObject({ zone: "eu-1", decision: "allow", us: 5 });
  });

  it("keeps a public route's line without TPP fields", async () => {
    const { logger, lines } = capture("info");
    const route = { kind: "public", ruleId: "status" } as const;
    new DecisionLog(logger).write(
      input,
      { ...allow(tpp()), tpp: undefined, route, revocation: undefined },
      3,
    );
    await flush();
    expect(lines[0]).toMatchObject({ decision: "allow", path: "/v1/accounts", us: 3 });
    expect(lines[0]).not.toHaveProperty("tppId");
    expect(lines[0]).not.toHaveProperty("revocation");
  });
});
