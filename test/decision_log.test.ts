import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
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
