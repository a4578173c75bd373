import { createHash } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import {
  type AddressInfo,
  connect,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IssuedCertificate, issueCertificate, psd2Roles } from "../../src/demo/certificate_factory.js";
import type { Psd2Role } from "../../src/qwac/qwac.js";
import { type RunningService, startService } from "../../src/service.js";
import { killRunningOpenssl, LoopbackServer, OpensslCa } from "../support/openssl_ca.js";
import { freePort, listenOnLoopback } from "../support/ports.js";
import {
  ACCESS_LOG_MARKER,
  curlRaw,
  documentedNginxBlock,
  type HttpAnswer,
  nginxInstalled,
  parseCurlResponse,
  type RunningNginx,
  startNginx,
  substitute,
} from "./nginx.js";

/**
 * The whole path with a real proxy: curl -> nginx (TLS 1.2+, ECDHE AES-GCM, optional_no_ca) ->
 * auth_request -> the service's HTTP mode (in this process) -> an upstream that echoes what it received.
 * The nginx configuration is the block documented in docs/proxies.md. The QWACs are issued by an openssl
 * CA, recorded in its index, and revoked with `openssl ca -revoke`; its OCSP answers come from
 * `openssl ocsp`, so revocation is as real as the rest.
 *
 * Skipped only when nginx is missing outside CI; in CI (`CI` set) a missing nginx fails the test.
 */

const HOST = "api.bank.example";
const OTHER_HOST = "wrong-host.bank.example";
const PUBLIC_PATH = "/v1/status";
const DAY = 86_400_000;
const run = nginxInstalled() || process.env.CI !== undefined ? describe : describe.skip;

interface Tpp {
  readonly certFile: string;
  readonly keyFile: string;
  readonly sha256: string;
  readonly organizationId: string;
}

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

let dir: string;
let responder: LoopbackServer;
let upstream: Server;
const received: Received[] = [];
let service: RunningService;
let relay: ConnectionCounter;
let nginx: RunningNginx;
let serverCaFile: string;
type TppName = "ai" | "pi" | "expired" | "revoked";
const tpps = {} as Record<TppName, Tpp>;

run("nginx auth_request in front of the HTTP mode", () => {
  beforeAll(async () => {
    if (!nginxInstalled())
      throw new Error("nginx is not installed (CI runs .ci/run, which installs nginx-light)");
    dir = await mkdtemp(join(tmpdir(), "nginx-e2e-"));
    await chmod(dir, 0o755);
    responder = await LoopbackServer.start();
    const ca = await OpensslCa.create(join(dir, "qtsp"), {
      subject: "/C=FR/O=Test QTSP/CN=Test QTSP QWAC CA",
      ocspUrl: responder.url("/ocsp"),
      crlUrl: responder.url("/crl"),
    });
    responder.route("/ocsp", { kind: "ocsp", ca, signing: { signer: ca.cert, nextUpdateMinutes: 60 } });
    await issueTpps(ca);
    upstream = await startEchoUpstream();
    service = await startGatekeeperService(ca.cert.certPath);
    relay = await startConnectionCounter(service.httpPort!);
    nginx = await startDocumentedNginx();
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await relay?.close();
    await service?.stop();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    await responder?.close();
    killRunningOpenssl();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("lets an AI certificate read accounts, and the upstream sees the identity headers", async () => {
    const before = received.length;
    const answer = await curl({ path: "/v1/accounts?withBalance=true", tpp: tpps.ai });
    expect(answer.status).toBe(200);
    expect(received.length).toBe(before + 1);
    const seen = received[received.length - 1]!;
    expect(seen.url).toBe("/v1/accounts?withBalance=true");
    expect(seen.headers["x-tpp-organization-id"]).toBe(tpps.ai.organizationId);
    expect(seen.headers["x-tpp-roles"]).toBe("PSP_AI");
    expect(seen.headers["x-tpp-cert-sha256"]).toBe(tpps.ai.sha256);
    expect(JSON.parse(answer.body).url).toBe("/v1/accounts?withBalance=true");
  });

  it("keeps the TPP's X-Request-ID: the upstream gets it and a denial echoes it", async () => {
    const id = "6f0c3a8e-5d1b-4c2a-9e7f-0a1b2c3d4e5f";
    await curl({ path: "/v1/accounts", tpp: tpps.ai, headers: { "X-Request-ID": id } });
    expect(received[received.length - 1]!.headers["x-request-id"]).toBe(id);
    const denied = await curlDenied({ path: "/v1/accounts", tpp: tpps.pi, headers: { "X-Request-ID": id } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("x-request-id")).toBe(id);
  });

  it("makes a request id only when the TPP sent none, and the denial carries it", async () => {
    await curl({ path: "/v1/accounts", tpp: tpps.ai });
    expect(received[received.length - 1]!.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    const denied = await curlDenied({ path: "/v1/accounts", tpp: tpps.pi });
    expect(denied.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("never passes client-sent identity or forwarded-certificate headers to the upstream", async () => {
    const forged = await readFile(tpps.pi.certFile, "utf8");
    const answer = await curl({
      path: "/v1/accounts",
      tpp: tpps.ai,
      headers: {
        "X-Tpp-Roles": "PSP_AS,PSP_PI,PSP_AI,PSP_IC",
        "X-Tpp-Organization-Id": "PSDFR-ACPR-66666",
        "X-Tpp-Revocation": "good",
        "X-SSL-Client-Cert": encodeURIComponent(forged),
        "X-Forwarded-Client-Cert": `Cert="${encodeURIComponent(forged)}"`,
        "Client-Cert": ":AAAA:",
        "Client-Cert-Chain": ":AAAA:",
        "X-Forwarded-Sni": HOST,
      },
    });
    expect(answer.status).toBe(200);
    const seen = received[received.length - 1]!;
    expect(seen.headers["x-tpp-roles"]).toBe("PSP_AI");
    expect(seen.headers["x-tpp-organization-id"]).toBe(tpps.ai.organizationId);
    for (const name of [
      "x-tpp-revocation",
      "x-ssl-client-cert",
      "x-forwarded-client-cert",
      "client-cert",
      "client-cert-chain",
      "x-forwarded-sni",
    ]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
  });

  it("reuses its connections to the service (the upstream block's keepalive), not one per request", async () => {
    const before = relay.connections();
    for (let i = 0; i < 6; i++) expect((await curl({ path: "/v1/accounts", tpp: tpps.ai })).status).toBe(200);
    // One new connection when the pooled one had idled out (the service's keep-alive timeout), never six.
    expect(relay.connections() - before).toBeLessThanOrEqual(1);
  });

  it("answers a wrong role with 401 ROLE_INVALID, the reason header and the Berlin Group body", async () => {
    const answer = await curlDenied({ path: "/v1/accounts", tpp: tpps.pi });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-authz-reason")).toBe("ROLE_NOT_ALLOWED");
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("ROLE_INVALID");
  });

  it("answers an expired certificate, which nginx itself refuses, with 401 CERTIFICATE_EXPIRED", async () => {
    const answer = await curlDenied({ path: "/v1/accounts", tpp: tpps.expired });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-authz-reason")).toBe("CERT_EXPIRED");
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("CERTIFICATE_EXPIRED");
  });

  it("still lets a certificate nginx refused reach a public route: the service decides, not nginx", async () => {
    const before = received.length;
    const answer = await curl({ path: PUBLIC_PATH, tpp: tpps.expired });
    expect(answer.status).toBe(200);
    expect(received.length).toBe(before + 1);
    expect(received[received.length - 1]!.url).toBe(PUBLIC_PATH);
  });

  it("answers a certificate its QTSP revoked with 401 CERTIFICATE_REVOKE", async () => {
    const answer = await curlDenied({ path: "/v1/accounts", tpp: tpps.revoked });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-authz-reason")).toBe("CERT_REVOKED");
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("CERTIFICATE_REVOKE");
  });

  it("answers a request without a certificate with 401 CERTIFICATE_MISSING", async () => {
    const answer = await curlDenied({ path: "/v1/accounts" });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("x-authz-reason")).toBe("CERT_MISSING");
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("CERTIFICATE_MISSING");
  });

  it("answers a connection to a host name it does not serve with 400 SNI_MISMATCH", async () => {
    const answer = await curlDenied({ path: "/v1/accounts", tpp: tpps.ai, host: OTHER_HOST });
    expect(answer.status).toBe(400);
    expect(answer.headers.get("x-authz-reason")).toBe("SNI_MISMATCH");
  });

  it("answers a path it refuses with 400 FORMAT_ERROR, not the 500 auth_request makes of a 400", async () => {
    const answer = await curlDenied({ path: "/v1/accounts%2F..%2Fpayments", tpp: tpps.ai });
    expect(answer.status).toBe(400);
    expect(answer.headers.get("x-authz-reason")).toBe("PATH_INVALID");
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("FORMAT_ERROR");
    // As docs/proxies.md says: auth_request logs every status but 2xx/401/403 as unexpected.
    expect(await nginx.errorLog()).toContain("auth request unexpected status: 400");
  });

  it("keeps the query, which can carry PSU data, out of the documented access log", async () => {
    const iban = "DE89370400440532013000";
    const answer = await curl({ path: `/v1/accounts?iban=${iban}`, tpp: tpps.ai });
    expect(answer.status).toBe(200);
    const lines = await waitForLines(accessLogFile(), (text) =>
      text.includes('"GET /v1/accounts HTTP/1.1" 200'),
    );
    expect(lines).not.toContain(iban);
    expect(lines).toContain(`tpp=${tpps.ai.organizationId}`);
  });

  it("refuses a TLS 1.2 handshake with a suite other than ECDHE with AES-GCM", async () => {
    const result = await curlRaw([
      "--tlsv1.2",
      "--tls-max",
      "1.2",
      "--ciphers",
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA256",
      ...target(HOST, "/v1/accounts"),
    ]);
    expect(result.exitCode).not.toBe(0);
    const accepted = await curlRaw([
      "--tls-max",
      "1.2",
      "--ciphers",
      "ECDHE-ECDSA-AES128-GCM-SHA256",
      ...target(HOST, "/v1/accounts"),
    ]);
    expect(accepted.exitCode).toBe(0);
  });
});

async function issueTpps(ca: OpensslCa): Promise<void> {
  const issuer = await ca.signer();
  const now = Date.now();
  const issue = async (
    name: TppName,
    role: Psd2Role,
    validity: { notBefore?: Date; notAfter?: Date } = {},
  ): Promise<IssuedCertificate> => {
    const organizationId = `PSDFR-ACPR-${10_000 + Object.keys(tpps).length}`;
    const issued = await issueCertificate({
      subject: `CN=${name}.tpp.example, O=TPP ${name} SAS, 2.5.4.97=${organizationId}, C=FR`,
      issuer,
      aiaOcspUrl: responder.url("/ocsp"),
      qc: { psd2: { roles: psd2Roles(role), ncaName: "ACPR", ncaId: "FR-ACPR" } },
      ...validity,
    });
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}.key`);
    await writeFile(certFile, issued.pem);
    await writeFile(keyFile, issued.keyPem, { mode: 0o600 });
    const sha256 = createHash("sha256").update(new Uint8Array(issued.cert.rawData)).digest("hex");
    tpps[name] = { certFile, keyFile, sha256, organizationId };
    return issued;
  };
  await ca.recordValid("ai", (await issue("ai", "PSP_AI")).pem);
  await ca.recordValid("pi", (await issue("pi", "PSP_PI")).pem);
  await issue("expired", "PSP_AI", {
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now - 35 * DAY),
  });
  const revoked = await ca.recordValid("revoked", (await issue("revoked", "PSP_AI")).pem);
  await ca.revoke(revoked, "keyCompromise");
}

async function startEchoUpstream(): Promise<Server> {
  const server = createServer((request, response) => {
    received.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers }));
  });
  await listenOnLoopback(server);
  return server;
}

interface ConnectionCounter {
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

/** A TCP relay in front of the service's HTTP listener that counts the connections nginx opens. */
async function startConnectionCounter(targetPort: number): Promise<ConnectionCounter> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((client) => {
    accepted++;
    const target = connect({ host: "127.0.0.1", port: targetPort });
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(target).pipe(client);
    client.on("close", () => target.destroy());
    target.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function startGatekeeperService(anchorFile: string): Promise<RunningService> {
  const configFile = join(dir, "gatekeeper.yaml");
  // The shipped Berlin Group policy, with one public route for the certificate-refused-by-nginx case.
  const policy = join(dir, "policy.yaml");
  const berlinGroup = await readFile(new URL("../../policies/berlin-group.yaml", import.meta.url), "utf8");
  const publicRoute = `public: [{ id: status, methods: [GET], path: ${PUBLIC_PATH} }]`;
  await writeFile(
    policy,
    substitute(berlinGroup, { "public: []": publicRoute }, "policies/berlin-group.yaml"),
  );
  await writeFile(
    configFile,
    [
      "listen: { host: 127.0.0.1, port: 0 }",
      "http: { enabled: true, host: 127.0.0.1, port: 0 }",
      `trust: { anchors: ${anchorFile} }`,
      `policy: ${policy}`,
      "sources: [header]",
      "trustedHops: { cidrs: [127.0.0.1/32] }",
      `sni: { required: true, hosts: [${HOST}] }`,
      // Each OCSP answer is an `openssl ocsp` process: give the first one time.
      "revocation: { timeoutMs: 5000, fetchTimeoutMs: 10000 }",
      "metrics: { enabled: false }",
      "log: { level: warn }",
      "",
    ].join("\n"),
  );
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  return startService({ configFile, watchFiles: false, logDestination: quiet });
}

async function startDocumentedNginx(): Promise<RunningNginx> {
  const serverCa = await issueCertificate({ subject: "CN=Test Server CA", isCa: true });
  const server = await issueCertificate({
    subject: `CN=${HOST}`,
    issuer: serverCa,
    subjectAltNames: [HOST, OTHER_HOST],
    extKeyUsage: ["1.3.6.1.5.5.7.3.1"],
  });
  serverCaFile = join(dir, "server-ca.pem");
  const serverCert = join(dir, "server.pem");
  const serverKey = join(dir, "server.key");
  await writeFile(serverCaFile, serverCa.pem);
  await writeFile(serverCert, server.pem);
  await writeFile(serverKey, server.keyPem, { mode: 0o600 });
  const port = await freePort();
  const accessLog = substitute(
    await documentedNginxBlock(ACCESS_LOG_MARKER),
    { "/var/log/nginx/psd2-access.log": accessLogFile() },
    "docs/proxies.md access-log block",
  );
  const block = substitute(await documentedNginxBlock(), {
    "listen 443 ssl;": `listen 127.0.0.1:${port} ssl;`,
    "server 127.0.0.1:9192;": `server 127.0.0.1:${relay.port};`,
    "server 127.0.0.1:8080;": `server 127.0.0.1:${(upstream.address() as AddressInfo).port};`,
    "/etc/nginx/tls/api.bank.example.pem": serverCert,
    "/etc/nginx/tls/api.bank.example.key": serverKey,
  });
  return startNginx(dir, `${accessLog}\n${block}`, port, { accessLog: true });
}

const accessLogFile = (): string => join(dir, "psd2-access.log");

interface CurlSpec {
  readonly path: string;
  readonly tpp?: Tpp;
  readonly host?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

type CurlAnswer = HttpAnswer;

function target(host: string, path: string): string[] {
  return [
    "--cacert",
    serverCaFile,
    "--resolve",
    `${host}:${nginx.port}:127.0.0.1`,
    `https://${host}:${nginx.port}${path}`,
  ];
}

/** curl with --cert, as a TPP would call; --path-as-is so the path reaches nginx exactly as written. */
async function curl(spec: CurlSpec): Promise<CurlAnswer> {
  const args = ["-i", "--path-as-is"];
  if (spec.tpp !== undefined) args.push("--cert", spec.tpp.certFile, "--key", spec.tpp.keyFile);
  for (const [name, value] of Object.entries(spec.headers ?? {})) args.push("-H", `${name}: ${value}`);
  const result = await curlRaw([...args, ...target(spec.host ?? HOST, spec.path)]);
  if (result.exitCode !== 0) throw new Error(`curl failed (${result.exitCode}): ${result.stderr}`);
  return parseCurlResponse(result.stdout);
}

/** A denial must not reach the upstream. */
async function curlDenied(spec: CurlSpec): Promise<CurlAnswer> {
  const before = received.length;
  const answer = await curl(spec);
  expect(received.length, "the upstream was called for a denied request").toBe(before);
  return answer;
}

/** nginx writes an access line when the request ends: poll the file a bounded number of times. */
async function waitForLines(file: string, ready: (text: string) => boolean): Promise<string> {
  let text = "";
  for (let i = 0; i < 50; i++) {
    text = await readFile(file, "utf8").catch(() => "");
    if (ready(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no such line in ${file}:\n${text}`);
}
