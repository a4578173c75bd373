import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { HttpAuthorizationServer } from "../../src/http/http_server.js";
import { type SignedRequest, signRequest } from "../source/message_signature/signer.js";
import { createGatekeeper } from "../support/gatekeeper.js";

/**
 * The HTTP mode behind a signing nginx: the request judged, its authority and the certificate come from
 * the X-Original-* and forwarded headers, and the signature is verified over exactly those values.
 */

const POLICY = "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n";
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const SECRET = randomBytes(32);

let pki: DemoPki;
let dir: string;
let base: string;
let server: HttpAuthorizationServer;

beforeAll(async () => {
  pki = await createDemoPki();
  dir = mkdtempSync(join(tmpdir(), "signed-http-"));
  const keyFile = join(dir, "nginx-1.key");
  writeFileSync(keyFile, SECRET.toString("base64"));
  const { gatekeeper } = createGatekeeper({
    anchors: [pki.root.cert],
    intermediates: [pki.intermediate.cert],
    policyYaml: POLICY,
    now: () => NOW,
    forwarding: {
      sources: ["header"],
      trustedHops: [
        {
          cidrs: ["127.0.0.1"],
          signature: { keys: [{ keyid: "nginx-1", alg: "hmac-sha256", file: keyFile }] },
        },
      ],
      sni: { required: true, hosts: ["api.bank.example"] },
    },
  });
  server = new HttpAuthorizationServer({ gatekeeper, logger: pino({ level: "silent" }) });
  base = `http://127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
});

afterAll(async () => {
  await server?.stop(1000);
  rmSync(dir, { recursive: true, force: true });
});

/** What the signed nginx location sends: the original request line and host, the certificate, the SNI. */
function nginxHeaders(uri: string): Record<string, string> {
  return {
    "x-original-method": "GET",
    "x-original-uri": uri,
    "x-original-host": "api.bank.example",
    "x-ssl-client-cert": encodeURIComponent(pki.tpps["tpp-ai"].pem),
    "x-forwarded-sni": "api.bank.example",
  };
}

function signed(headers: Record<string, string>): Record<string, string> {
  const request: SignedRequest = {
    method: headers["x-original-method"]!,
    target: headers["x-original-uri"]!,
    authority: headers["x-original-host"]!,
    headers,
  };
  return {
    ...headers,
    ...signRequest(request, {
      covered: ["@method", "@authority", "@path", "@query", "x-ssl-client-cert", "x-forwarded-sni"],
      keyid: "nginx-1",
      key: { alg: "hmac-sha256", secret: SECRET },
      created: NOW.getTime() / 1000,
      nonce: randomBytes(8).toString("hex"),
    }),
  };
}

async function ask(headers: Record<string, string>) {
  const response = await fetch(`${base}/authz`, { headers });
  return {
    status: response.status,
    reason: response.headers.get("x-authz-reason"),
    body: await response.text(),
  };
}

describe("the HTTP mode with a hop that must sign", () => {
  it("allows a request nginx signed", async () => {
    expect((await ask(signed(nginxHeaders("/v1/accounts/a1?withBalance=true")))).status).toBe(200);
  });

  it("denies an unsigned one with 401 FORWARDED_SIGNATURE_MISSING and a CERTIFICATE_INVALID body", async () => {
    const answer = await ask(nginxHeaders("/v1/accounts/a1"));
    expect([answer.status, answer.reason]).toEqual([401, "FORWARDED_SIGNATURE_MISSING"]);
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("CERTIFICATE_INVALID");
  });

  it("denies a request whose original host was changed after signing", async () => {
    const headers = { ...signed(nginxHeaders("/v1/accounts/a1")), "x-original-host": "other.bank.example" };
    expect((await ask(headers)).reason).toBe("FORWARDED_SIGNATURE_INVALID");
  });

  it("denies a request whose URI was changed after signing", async () => {
    const headers = { ...signed(nginxHeaders("/v1/accounts/a1")), "x-original-uri": "/v1/accounts/a2" };
    expect((await ask(headers)).reason).toBe("FORWARDED_SIGNATURE_INVALID");
  });

  it("denies the same signed request a second time (its nonce) with FORWARDED_SIGNATURE_REPLAYED", async () => {
    const headers = signed(nginxHeaders("/v1/accounts/a3"));
    expect((await ask(headers)).status).toBe(200);
    expect((await ask(headers)).reason).toBe("FORWARDED_SIGNATURE_REPLAYED");
  });
});
