import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { DENIAL_PATH, HttpAuthorizationServer } from "../../src/http/http_server.js";
import { createGatekeeper, type ForwardingOptions } from "../support/gatekeeper.js";

/** The HTTP authorization mode over loopback, asked the way nginx's auth_request asks. */

const POLICY = "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n";
const LOOPBACK_PROXY: ForwardingOptions = {
  sources: ["header", "xfcc"],
  trustedHops: { cidrs: ["127.0.0.0/8", "::1"] },
  sni: { required: true, hosts: ["api.bank.example"] },
};

let pki: DemoPki;
const servers: HttpAuthorizationServer[] = [];

beforeAll(async () => {
  pki = await createDemoPki();
});

afterAll(async () => {
  for (const server of servers) await server.stop(1000);
});

async function start(forwarding: ForwardingOptions = LOOPBACK_PROXY, logger?: pino.Logger): Promise<string> {
  const { gatekeeper } = createGatekeeper({
    anchors: [pki.root.cert],
    intermediates: [pki.intermediate.cert],
    policyYaml: POLICY,
    forwarding,
    ...(logger === undefined ? {} : { logger }),
  });
  const server = new HttpAuthorizationServer({ gatekeeper, logger: pino({ level: "silent" }) });
  servers.push(server);
  const port = await server.listen("127.0.0.1", 0);
  return `http://127.0.0.1:${port}`;
}

/** What the shipped nginx config sends to the auth location. */
function nginxHeaders(tpp: keyof DemoPki["tpps"] | undefined, uri = "/v1/accounts"): Record<string, string> {
  return {
    "x-original-method": "GET",
    "x-original-uri": uri,
    "x-forwarded-sni": "api.bank.example",
    ...(tpp === undefined ? {} : { "x-ssl-client-cert": encodeURIComponent(pki.tpps[tpp].pem) }),
  };
}

async function ask(base: string, headers: Record<string, string>, path = "/authz") {
  const response = await fetch(`${base}${path}`, { headers });
  const body = await response.text();
  return { status: response.status, headers: response.headers, body };
}

describe("the HTTP authorization answer", () => {
  it("allows with 200, the identity headers for the proxy to copy upstream, and no body", async () => {
    const base = await start();
    const answer = await ask(base, nginxHeaders("tpp-ai"));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-tpp-organization-id")).toBe("PSDFR-ACPR-10001");
    expect(answer.headers.get("x-tpp-roles")).toBe("PSP_AI");
    expect(answer.headers.get("x-authz-reason")).toBeNull();
    expect(answer.body).toBe("");
  });

  it("denies a wrong role with 401 (ROLE_INVALID is a 401 code), the reason header and the Berlin Group body", async () => {
    const base = await start();
    const answer = await ask(base, nginxHeaders("tpp-pi"));
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-authz-reason")).toBe("ROLE_NOT_ALLOWED");
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("ROLE_INVALID");
  });

  it("denies a request without a certificate with 401 CERT_MISSING", async () => {
    const base = await start();
    const answer = await ask(base, nginxHeaders(undefined));
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-authz-reason")).toBe("CERT_MISSING");
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("CERTIFICATE_MISSING");
  });

  it("answers a malformed forwarded certificate with 401, never a 5xx", async () => {
    const base = await start();
    const answer = await ask(base, { ...nginxHeaders(undefined), "x-ssl-client-cert": "%ZZnot-a-cert" });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-authz-reason")).toBe("CERT_MALFORMED");
  });

  it("answers an unclear request (two different request lines) with 400 REQUEST_INVALID", async () => {
    const base = await start();
    const answer = await ask(base, {
      ...nginxHeaders("tpp-ai"),
      "x-forwarded-method": "GET",
      "x-forwarded-uri": "/v1/other",
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get("x-authz-reason")).toBe("REQUEST_INVALID");
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("FORMAT_ERROR");
  });

  it("records an unreadable request like any decision (one deny line with its reason)", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = { write: (line: string) => void lines.push(JSON.parse(line)) };
    const base = await start(LOOPBACK_PROXY, pino({ level: "info" }, sink));
    await ask(base, { ...nginxHeaders("tpp-ai"), "x-forwarded-method": "POST", "x-forwarded-uri": "/v1/x" });
    const refused = lines.filter((line) => line.decision === "deny" && line.reason === "REQUEST_INVALID");
    expect(refused).toHaveLength(1);
    // Neither field is ever empty: the id is made when absent, the method is the authorization request's.
    expect(refused[0]!.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(refused[0]!.method).toBe("GET");
  });

  it("refuses a raw '#' in the URI with 400 PATH_INVALID instead of judging the part before it", async () => {
    const base = await start();
    const answer = await ask(base, nginxHeaders("tpp-ai", "/v1/accounts/1#/../../payments"));
    expect(answer.status).toBe(400);
    expect(answer.headers.get("x-authz-reason")).toBe("PATH_INVALID");
  });

  it("checks the SNI the proxy forwards", async () => {
    const base = await start();
    const answer = await ask(base, { ...nginxHeaders("tpp-ai"), "x-forwarded-sni": "evil.example" });
    expect(answer.headers.get("x-authz-reason")).toBe("SNI_MISMATCH");
  });

  it("denies a forwarded certificate from a peer outside the trusted hops", async () => {
    const base = await start({ sources: ["header"], trustedHops: { cidrs: ["10.0.0.0/8"] } });
    const answer = await ask(base, nginxHeaders("tpp-ai"));
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-authz-reason")).toBe("CERT_FORWARDED_UNTRUSTED_HOP");
  });

  it("answers without waiting for a request body it never reads", async () => {
    const base = await start();
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = httpRequest(`${base}/authz`, {
        method: "POST",
        headers: { ...nginxHeaders("tpp-ai"), "content-length": "100000000" },
      });
      outgoing.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
        outgoing.destroy();
      });
      outgoing.on("error", reject);
      outgoing.flushHeaders();
    });
    expect(status).toBe(200);
  });
});

describe("X-Request-ID at the HTTP edge (NextGenPSD2: the TPP's id is what a ticket quotes)", () => {
  it("echoes the TPP's X-Request-ID in a denial", async () => {
    const base = await start();
    const answer = await ask(base, { ...nginxHeaders("tpp-pi"), "x-request-id": "tpp-req-42" });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-request-id")).toBe("tpp-req-42");
  });

  it("generates a UUID for a denial of a request that carried none", async () => {
    const base = await start();
    const answer = await ask(base, nginxHeaders(undefined));
    expect(answer.headers.get("x-request-id")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it("echoes the id on the denial page too, and on a request the proxy sent without method or URI", async () => {
    const base = await start();
    const page = await ask(base, { "x-request-id": "tpp-req-43" }, `${DENIAL_PATH}CERT_EXPIRED`);
    expect(page.headers.get("x-request-id")).toBe("tpp-req-43");
    const unreadable = await ask(base, { "x-original-method": "GET", "x-request-id": "tpp-req-44" });
    expect(unreadable.headers.get("x-authz-reason")).toBe("REQUEST_INVALID");
    expect(unreadable.headers.get("x-request-id")).toBe("tpp-req-44");
  });

  it("answers REVOCATION_UNAVAILABLE on the denial page as 503 with Retry-After, not as a certificate fault", async () => {
    const base = await start();
    const page = await ask(base, {}, `${DENIAL_PATH}REVOCATION_UNAVAILABLE`);
    expect(page.status).toBe(503);
    expect(page.headers.get("retry-after")).toBe("5");
    expect(JSON.parse(page.body).tppMessages[0]).toMatchObject({
      category: "ERROR",
      code: "SERVICE_UNAVAILABLE",
    });
  });
});

describe("the denial page for proxies that keep only the status", () => {
  it("renders a reason's status, reason header and body without deciding anything", async () => {
    const base = await start();
    const answer = await ask(base, {}, `${DENIAL_PATH}CERT_REVOKED`);
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-authz-reason")).toBe("CERT_REVOKED");
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("CERTIFICATE_REVOKE");
  });

  it("never answers 2xx: an unknown reason is 404", async () => {
    const base = await start();
    for (const reason of ["", "ALLOW", "__proto__", "constructor"]) {
      const answer = await ask(base, {}, `${DENIAL_PATH}${reason}`);
      expect(answer.status).toBe(404);
    }
  });
});

/** Requests written in one go on one connection: node reads them in one turn, so they form one batch. */
async function pipelined(base: string, requests: readonly Record<string, string>[]): Promise<RawAnswer[]> {
  const { hostname, port } = new URL(base);
  const text = requests
    .map((headers) => {
      const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
      return ["GET /authz HTTP/1.1", `host: ${hostname}`, ...lines, "", ""].join("\r\n");
    })
    .join("");
  const socket = connect(Number(port), hostname);
  const received: Buffer[] = [];
  let answers: RawAnswer[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      answers = rawAnswers(Buffer.concat(received).toString("latin1"));
      if (answers.length === requests.length) resolve();
    });
    socket.on("close", () => resolve());
    socket.write(text);
  });
  socket.destroy();
  return answers;
}

interface RawAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
}

/** The complete answers at the start of `text` (each head, then its content-length of body). */
function rawAnswers(text: string): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let at = 0;
  for (;;) {
    const headEnd = text.indexOf("\r\n\r\n", at);
    if (headEnd < 0) return answers;
    const [statusLine = "", ...lines] = text.slice(at, headEnd).split("\r\n");
    const headers = new Map(
      lines.map((line) => [
        line.slice(0, line.indexOf(":")).toLowerCase(),
        line.slice(line.indexOf(":") + 1).trim(),
      ]),
    );
    const end = headEnd + 4 + Number(headers.get("content-length") ?? "0");
    if (end > text.length) return answers;
    answers.push({ status: Number(statusLine.split(" ")[1]), headers });
    at = end;
  }
}

describe("requests that arrive together", () => {
  it("answers each request of one turn with its own verdict, in order", async () => {
    const base = await start();
    // Warm: every certificate verified once, so the batch below is answered from the caches.
    for (const tpp of ["tpp-ai", "tpp-pi", "tpp-all"] as const) await ask(base, nginxHeaders(tpp));
    const kinds = [
      { tpp: "tpp-ai", status: 200, org: "PSDFR-ACPR-10001" },
      { tpp: "tpp-pi", status: 401, reason: "ROLE_NOT_ALLOWED" },
      { tpp: undefined, status: 401, reason: "CERT_MISSING" },
      { tpp: "tpp-all", status: 200, org: "PSDBE-NBB-0123.456.789" },
    ] as const;
    const sent = Array.from({ length: 24 }, (_, i) => kinds[(i * 7) % kinds.length]!);
    const answers = await pipelined(
      base,
      sent.map((kind, i) => ({ ...nginxHeaders(kind.tpp), "x-request-id": `batch-${i}` })),
    );
    expect(answers).toHaveLength(sent.length);
    answers.forEach((answer, i) => {
      const kind = sent[i]!;
      expect(answer.status, `request ${i}`).toBe(kind.status);
      if ("org" in kind) {
        expect(answer.headers.get("x-tpp-organization-id"), `request ${i}`).toBe(kind.org);
      } else {
        expect(answer.headers.get("x-authz-reason"), `request ${i}`).toBe(kind.reason);
        expect(answer.headers.get("x-request-id"), `request ${i}`).toBe(`batch-${i}`);
      }
    });
  });
});
