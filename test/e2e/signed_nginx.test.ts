import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type Server,
} from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/demo/certificate_factory.js";
import { createDemoPki, type DemoPki } from "../../src/demo/demo_pki.js";
import { type RunningService, startService } from "../../src/service.js";
import { freePort, listenOnLoopback } from "../support/ports.js";
import {
  curlRaw,
  documentedNginxBlock,
  type HttpAnswer,
  NJS_MODULE,
  nginxInstalled,
  njsInstalled,
  parseCurlResponse,
  type RunningNginx,
  startNginx,
  substitute,
} from "./nginx.js";

/**
 * Signed forwarding with real parts: curl (a TPP with its QWAC) -> nginx (TLS, auth_request, the shipped
 * njs signer) -> a recording hop -> the service's HTTP mode (in this process). The hop stands for what
 * the signature defends against, something between the proxy and the service: it records what it passes
 * on and, when a test says so, changes it. The nginx configuration is docs/proxies.md's block with the
 * signed authorization location of docs/signed-forwarding.md and deploy/nginx/gatekeeper_signing.conf;
 * the service's clock is injected to replay a captured request after its window.
 *
 * Skipped only when nginx or njs is missing outside CI; in CI (`CI` set) a missing one fails the test.
 */

const HOST = "api.bank.example";
const MAX_AGE_SECONDS = 10;
const SKEW_SECONDS = 2;
const ready = nginxInstalled() && njsInstalled();
const run = ready || process.env.CI !== undefined ? describe : describe.skip;

const SIGNED_DOC = new URL("../../docs/signed-forwarding.md", import.meta.url);
const SIGNED_MARKER = "<!-- nginx-signed-location: this block is run by test/e2e/signed_nginx.test.ts -->";
const SIGNER_DIR = new URL("../../deploy/nginx/", import.meta.url).pathname;

interface Tpp {
  readonly certFile: string;
  readonly keyFile: string;
  readonly pem: string;
}

/** Rewrites what the hop passes on to the service, as a misconfigured hop would. */
type Tamper = (headers: IncomingHttpHeaders) => IncomingHttpHeaders;

let dir: string;
let pki: DemoPki;
let ai: Tpp;
let pi: Tpp;
let serverCaFile: string;
let upstream: Server;
let upstreamCalls = 0;
let hop: Server;
let tamper: Tamper | undefined;
/** Authorization requests as the hop passed them on (denial pages, which nginx also fetches, are left out). */
const passedOn: IncomingHttpHeaders[] = [];
let service: RunningService;
let nginx: RunningNginx | undefined;
let nginxPort: number;
let clockOffsetMs = 0;
const secrets = { "nginx-1": randomBytes(32), "nginx-2": randomBytes(32) } as const;
type KeyId = keyof typeof secrets;

run("nginx with the njs signer in front of the HTTP mode", () => {
  beforeAll(async () => {
    if (!ready) throw new Error("nginx or njs is missing (CI runs .ci/run, which installs both)");
    dir = await mkdtemp(join(tmpdir(), "signed-nginx-e2e-"));
    await chmod(dir, 0o755);
    pki = await createDemoPki();
    ai = await tppFiles("tpp-ai");
    pi = await tppFiles("tpp-pi");
    await writeKeys();
    upstream = await listen(
      createServer((_request, response) => {
        upstreamCalls += 1;
        response.end("upstream\n");
      }),
    );
    service = await startGatekeeperService(["nginx-1"]);
    hop = await listen(createServer((request, response) => passOn(request, response)));
    nginxPort = await freePort();
    nginx = await startSigningNginx("nginx-1");
  }, 120_000);

  afterEach(() => {
    tamper = undefined;
    clockOffsetMs = 0;
  });

  afterAll(async () => {
    await nginx?.stop();
    await service?.stop();
    for (const server of [hop, upstream]) await close(server);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("allows a request nginx signed; the service received a signature over the certificate and the path", async () => {
    const answer = await curl({ path: "/v1/accounts?withBalance=true", tpp: ai });
    expect(answer.status).toBe(200);
    const seen = lastPassedOn();
    expect(seen["signature-input"]).toMatch(
      /^proxy=\("@method" "@authority" "@path" "@query" "x-ssl-client-cert" "x-forwarded-sni"\);created=\d+;keyid="nginx-1";alg="hmac-sha256";nonce="[0-9a-f]{32}"$/,
    );
    expect(seen.signature).toMatch(/^proxy=:[A-Za-z0-9+/]{43}=:$/);
    expect(seen["x-original-host"]).toBe(`${HOST}:${nginxPort}`);
  });

  it("never lets a certificate header the client typed reach the service: without a QWAC it is CERT_MISSING", async () => {
    const answer = await curlDenied({
      path: "/v1/accounts",
      headers: { "X-SSL-Client-Cert": encoded(ai.pem) },
    });
    expect([answer.status, answer.headers.get("x-authz-reason")]).toEqual([401, "CERT_MISSING"]);
    const seen = lastPassedOn();
    expect(seen["x-ssl-client-cert"]).toBeUndefined();
    expect(seen["signature-input"]).not.toContain("x-ssl-client-cert");
  });

  it("denies a certificate header replaced between nginx and the service (a hop passing on the client's)", async () => {
    tamper = (headers) => ({ ...headers, "x-ssl-client-cert": encoded(pi.pem) });
    const answer = await curlDenied({
      path: "/v1/accounts",
      tpp: ai,
      headers: { "X-SSL-Client-Cert": encoded(pi.pem) },
    });
    expect([answer.status, answer.headers.get("x-authz-reason")]).toEqual([
      401,
      "FORWARDED_SIGNATURE_INVALID",
    ]);
    expect(JSON.parse(answer.body).tppMessages[0].code).toBe("CERTIFICATE_INVALID");
  });

  it("denies a certificate header a hop injected when the TPP sent none: nginx's signature does not cover it", async () => {
    tamper = (headers) => ({ ...headers, "x-ssl-client-cert": encoded(ai.pem) });
    const answer = await curlDenied({ path: "/v1/accounts" });
    expect(answer.headers.get("x-authz-reason")).toBe("FORWARDED_SIGNATURE_INVALID");
  });

  it("denies a request whose path was changed after nginx signed it", async () => {
    tamper = (headers) => ({ ...headers, "x-original-uri": "/v1/accounts/other-psu-account" });
    const answer = await curlDenied({ path: "/v1/accounts", tpp: ai });
    expect([answer.status, answer.headers.get("x-authz-reason")]).toEqual([
      401,
      "FORWARDED_SIGNATURE_INVALID",
    ]);
  });

  it("denies a captured authorization request replayed after the window, and inside it by its nonce", async () => {
    expect((await curl({ path: "/v1/accounts", tpp: ai })).status).toBe(200);
    const captured = lastPassedOn();
    expect((await askService(captured)).reason).toBe("FORWARDED_SIGNATURE_REPLAYED");
    clockOffsetMs = (MAX_AGE_SECONDS + SKEW_SECONDS + 1) * 1000;
    expect(await askService(captured)).toEqual({ status: 401, reason: "FORWARDED_SIGNATURE_EXPIRED" });
  });

  it("rotates keys: the new key works while the old is listed, and the old fails once removed", async () => {
    await reconfigureService(["nginx-1", "nginx-2"]);
    expect((await curl({ path: "/v1/accounts", tpp: ai })).status).toBe(200);
    await restartNginx("nginx-2");
    expect((await curl({ path: "/v1/accounts", tpp: ai })).status).toBe(200);
    expect(lastPassedOn()["signature-input"]).toContain('keyid="nginx-2"');
    await reconfigureService(["nginx-2"]);
    expect((await curl({ path: "/v1/accounts", tpp: ai })).status).toBe(200);
    await restartNginx("nginx-1");
    const old = await curlDenied({ path: "/v1/accounts", tpp: ai });
    expect([old.status, old.headers.get("x-authz-reason")]).toEqual([401, "FORWARDED_SIGNATURE_UNKNOWN_KEY"]);
  });
});

async function tppFiles(name: "tpp-ai" | "tpp-pi"): Promise<Tpp> {
  const issued = pki.tpps[name];
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await writeFile(certFile, issued.pem);
  await writeFile(keyFile, issued.keyPem, { mode: 0o600 });
  return { certFile, keyFile, pem: issued.pem };
}

/** nginx's $ssl_client_escaped_cert spelling is not needed: any percent-encoding of the PEM decodes. */
function encoded(pem: string): string {
  return encodeURIComponent(pem);
}

/** Each key twice: the service's base64 file and nginx's preloaded JSON, as docs/signed-forwarding.md says. */
async function writeKeys(): Promise<void> {
  await mkdir(join(dir, "keys"));
  for (const [keyid, secret] of Object.entries(secrets)) {
    await writeFile(join(dir, "keys", `${keyid}.key`), `${secret.toString("base64")}\n`, { mode: 0o600 });
    await writeFile(
      join(dir, "keys", `${keyid}.json`),
      JSON.stringify({ keyid, secret: secret.toString("base64") }),
      { mode: 0o600 },
    );
  }
}

async function writeServiceConfig(keyids: readonly KeyId[]): Promise<string> {
  const configFile = join(dir, "gatekeeper.yaml");
  const policy = join(dir, "policy.yaml");
  await writeFile(
    policy,
    "version: 1\nrules:\n  - { methods: [GET], path: /v1/accounts/**, roles: [PSP_AI] }\n",
  );
  await writeFile(join(dir, "anchors.pem"), pki.root.pem);
  await writeFile(join(dir, "intermediates.pem"), pki.intermediate.pem);
  const keys = keyids.map((keyid) => `{ keyid: ${keyid}, alg: hmac-sha256, file: keys/${keyid}.key }`);
  await writeFile(
    configFile,
    [
      "listen: { host: 127.0.0.1, port: 0 }",
      "http: { enabled: true, host: 127.0.0.1, port: 0 }",
      "trust: { anchors: anchors.pem, intermediates: intermediates.pem }",
      "policy: policy.yaml",
      "sources: [header]",
      "trustedHops:",
      "  - cidrs: [127.0.0.1/32]",
      "    signature:",
      "      mode: required",
      `      maxAgeSeconds: ${MAX_AGE_SECONDS}`,
      `      clockSkewSeconds: ${SKEW_SECONDS}`,
      `      keys: [${keys.join(", ")}]`,
      `sni: { required: true, hosts: [${HOST}] }`,
      "revocation: { enabled: false }",
      "metrics: { enabled: false }",
      "log: { level: warn }",
      "",
    ].join("\n"),
  );
  return configFile;
}

async function startGatekeeperService(keyids: readonly KeyId[]): Promise<RunningService> {
  const configFile = await writeServiceConfig(keyids);
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  return startService({
    configFile,
    watchFiles: false,
    logDestination: quiet,
    now: () => new Date(Date.now() + clockOffsetMs),
  });
}

/** What an operator does in a rotation: edit the hop's keys and reload. */
async function reconfigureService(keyids: readonly KeyId[]): Promise<void> {
  await writeServiceConfig(keyids);
  expect(await service.reload("test"), "the service took the new keys").toBe(true);
}

/** The documented server block, its authorization location replaced by the signed one, and the signer. */
async function signingNginxBlock(keyid: KeyId): Promise<string> {
  const block = await documentedNginxBlock();
  const unsigned = /\n {4}location = \/_gatekeeper\/authz \{[\s\S]*?\n {4}\}\n/.exec(block)?.[0];
  if (unsigned === undefined) throw new Error("docs/proxies.md: the authorization location is missing");
  const server = substitute(block, {
    [unsigned]: `\n${await signedLocation()}`,
    "listen 443 ssl;": `listen 127.0.0.1:${nginxPort} ssl;`,
    "server 127.0.0.1:9192;": `server 127.0.0.1:${port(hop)};`,
    "server 127.0.0.1:8080;": `server 127.0.0.1:${port(upstream)};`,
    "/etc/nginx/tls/api.bank.example.pem": join(dir, "server.pem"),
    "/etc/nginx/tls/api.bank.example.key": join(dir, "server.key"),
  });
  const signing = substitute(
    await readFile(new URL("gatekeeper_signing.conf", `file://${SIGNER_DIR}`), "utf8"),
    {
      "js_path            /etc/nginx/njs;": `js_path            ${SIGNER_DIR};`,
      "/etc/nginx/gatekeeper/signing-key.json": join(dir, "keys", `${keyid}.json`),
    },
    "deploy/nginx/gatekeeper_signing.conf",
  );
  return `${signing}\n${server}`;
}

async function signedLocation(): Promise<string> {
  const doc = await readFile(SIGNED_DOC, "utf8");
  const at = doc.indexOf(SIGNED_MARKER);
  const match = /```nginx\n([\s\S]*?)```/.exec(doc.slice(at));
  if (at < 0 || match?.[1] === undefined)
    throw new Error("docs/signed-forwarding.md: the tested block is missing");
  return match[1];
}

async function startSigningNginx(keyid: KeyId): Promise<RunningNginx> {
  const serverCa = await issueCertificate({ subject: "CN=Test Server CA", isCa: true });
  const server = await issueCertificate({
    subject: `CN=${HOST}`,
    issuer: serverCa,
    subjectAltNames: [HOST],
    extKeyUsage: ["1.3.6.1.5.5.7.3.1"],
  });
  serverCaFile = join(dir, "server-ca.pem");
  await writeFile(serverCaFile, serverCa.pem);
  await writeFile(join(dir, "server.pem"), server.pem);
  await writeFile(join(dir, "server.key"), server.keyPem, { mode: 0o600 });
  return startNginx(join(dir, "nginx"), await signingNginxBlock(keyid), nginxPort, { modules: [NJS_MODULE] });
}

/** The signer's key is read at configuration time: switching it is an nginx restart (or reload). */
async function restartNginx(keyid: KeyId): Promise<void> {
  await nginx?.stop();
  nginx = undefined;
  await mkdir(join(dir, "nginx"), { recursive: true });
  nginx = await startNginx(join(dir, "nginx"), await signingNginxBlock(keyid), nginxPort, {
    modules: [NJS_MODULE],
  });
}

/** The hop: records the authorization request, lets a test change it, passes it on to the service. */
function passOn(
  request: import("node:http").IncomingMessage,
  response: import("node:http").ServerResponse,
): void {
  const headers = tamper === undefined ? request.headers : tamper(request.headers);
  if (!(request.url ?? "").startsWith("/_gatekeeper/denial/")) passedOn.push(headers);
  const forwarded = httpRequest(
    { host: "127.0.0.1", port: service.httpPort, method: request.method, path: request.url, headers },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  forwarded.on("error", () => response.destroy());
  request.pipe(forwarded);
}

function lastPassedOn(): IncomingHttpHeaders {
  const last = passedOn[passedOn.length - 1];
  if (last === undefined) throw new Error("no authorization request reached the hop");
  return last;
}

/** Sends recorded authorization-request headers straight to the service, as a replaying hop would. */
function askService(headers: IncomingHttpHeaders): Promise<{ status: number; reason: string | undefined }> {
  const { connection: _connection, ...replayed } = headers;
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      {
        host: "127.0.0.1",
        port: service.httpPort,
        path: "/_gatekeeper/authz",
        headers: replayed as OutgoingHttpHeaders,
      },
      (answer) => {
        answer.resume();
        const reason = answer.headers["x-authz-reason"];
        resolve({ status: answer.statusCode ?? 0, reason: typeof reason === "string" ? reason : undefined });
      },
    );
    sent.on("error", reject);
    sent.end();
  });
}

interface CurlSpec {
  readonly path: string;
  readonly tpp?: Tpp;
  readonly headers?: Readonly<Record<string, string>>;
}

async function curl(spec: CurlSpec): Promise<HttpAnswer> {
  const args = [
    "-i",
    "--path-as-is",
    "--cacert",
    serverCaFile,
    "--resolve",
    `${HOST}:${nginxPort}:127.0.0.1`,
  ];
  if (spec.tpp !== undefined) args.push("--cert", spec.tpp.certFile, "--key", spec.tpp.keyFile);
  for (const [name, value] of Object.entries(spec.headers ?? {})) args.push("-H", `${name}: ${value}`);
  const result = await curlRaw([...args, `https://${HOST}:${nginxPort}${spec.path}`]);
  if (result.exitCode !== 0) throw new Error(`curl failed (${result.exitCode}): ${result.stderr}`);
  return parseCurlResponse(result.stdout);
}

/** A denial must not reach the upstream. */
async function curlDenied(spec: CurlSpec): Promise<HttpAnswer> {
  const before = upstreamCalls;
  const answer = await curl(spec);
  expect(upstreamCalls, "the upstream was called for a denied request").toBe(before);
  return answer;
}

async function listen(server: Server): Promise<Server> {
  await listenOnLoopback(server);
  return server;
}

function port(server: Server): number {
  return (server.address() as AddressInfo).port;
}

function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
}
