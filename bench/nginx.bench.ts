/**
 * `npm run bench:nginx`: the whole chain a TPP's request takes in the HTTP mode, against the same chain
 * without the gatekeeper. Server side, pinned to one CPU: nginx terminating the TPP's mTLS with the block
 * docs/proxies.md documents (auth_request to the service over kept-alive connections), the service's HTTP
 * listener (warm allow: certificate cached, revocation off) and the echo upstream (deploy/upstream/echo.mjs);
 * the baseline is that nginx block with `auth_request off`, proxying to the same upstream, and the ceiling of
 * any auth_request service is the block asking a bare node:http server that answers the same identity
 * headers (bench/bare_http_server.ts): what nginx's subrequest costs on its own. Load side, on
 * the other CPU: h2load cannot present a client certificate, so it speaks plain HTTP/1.1 to a second nginx
 * standing in for the TPP, which holds the QWAC and keeps its mTLS connections open (as a TPP's client
 * does). Everything listens on loopback; every process started here is stopped here. Writes its own
 * section of bench/results.md.
 */
import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { issueCertificate } from "../src/demo/certificate_factory.js";
import { ensureDemoPki } from "../src/demo/demo_pki.js";
import { PROJECT_ROOT } from "../src/foundation/project_root.js";
import {
  documentedNginxBlock,
  nginxInstalled,
  type RunningNginx,
  startNginx,
  substitute,
} from "../test/e2e/nginx.js";
import { h2loadAvailable, runH2loadHttp1 } from "./h2load.js";
import {
  authRequestHeaders,
  type Child,
  freePort,
  httpModeConfig,
  identityOfAllow,
  pinning,
  startBareHttp,
  startNode,
} from "./http.bench.js";
import { writeResults } from "./results_file.js";
import { type Drive, levelRows, ratioCell, tableHead, turns } from "./turns.js";

export const NGINX_SECTION_TITLE = "## 7. The whole chain: nginx (mTLS, auth_request) -> service -> upstream";
const LEVELS = [1, 4, 16, 64];
const MAX_CONNECTIONS = 16;
const SECONDS = Number(process.env.BENCH_SECONDS ?? "1");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "8");
const HOST = "api.bank.example";
const PATH = "/v1/accounts/3dc3d5b3/transactions?bookingStatus=booked";
const REQUEST_ID = "8f0d5b0a-1c1e-4a8e-9a51-3f1f2f4f5d6e";
/** Client connections, connections to the service and to the upstream, with room to spare. */
const WORKER_CONNECTIONS = 1024;

/**
 * The front ends measured: the documented block, that block before keep-alive, the block asking a bare
 * server instead of the gatekeeper, no auth_request at all.
 */
type Front = "gatekeeper" | "noKeepalive" | "bareAuth" | "without";
const FRONTS: readonly Front[] = ["gatekeeper", "noKeepalive", "bareAuth", "without"];
type Ports = Readonly<Record<Front, number>>;

/** The documented block's keep-alive lines, removed for the "before" chain (issue 17 added them). */
const KEEPALIVE_LINES = [
  "    keepalive 16;            # idle connections kept open per worker: no TCP handshake per auth request\n",
  "        proxy_http_version 1.1;                # keep-alive needs HTTP/1.1 ...\n",
  '        proxy_set_header Connection "";        # ... and no "Connection: close"\n',
];

async function ports(): Promise<Ports> {
  return {
    gatekeeper: await freePort(),
    noKeepalive: await freePort(),
    bareAuth: await freePort(),
    without: await freePort(),
  };
}

export async function nginxSection(): Promise<string[]> {
  if (!h2loadAvailable() || !nginxInstalled())
    return [`${NGINX_SECTION_TITLE}\n`, "Not measured: h2load (nghttp2-client) or nginx is not installed."];
  const dir = mkdtempSync(join(tmpdir(), "gk-bench-nginx-"));
  chmodSync(dir, 0o755);
  const children: Child[] = [];
  const proxies: RunningNginx[] = [];
  try {
    await ensureDemoPki(join(dir, "pki"));
    const cpu = pinning();
    const tls = await serverCertificate(dir);
    const upstreamPort = await freePort();
    children.push(await startEcho(upstreamPort, cpu.server));
    const httpPort = await freePort();
    const config = httpModeConfig(dir, await freePort(), httpPort);
    children.push(await startNode([join(PROJECT_ROOT, "src/main.ts"), config], httpPort, cpu.server));
    const identity = await identityOfAllow(
      httpPort,
      authRequestHeaders(readFileSync(join(dir, "pki", "tpp-ai.pem"), "utf8")),
    );
    const bare = await startBareHttp(identity, cpu.server);
    children.push(bare.child);
    const barePort = bare.port;

    const front = await ports();
    const block = await documentedNginxBlock();
    for (const name of FRONTS) {
      const replacements: Record<string, string> = {
        "listen 443 ssl;": `listen 127.0.0.1:${front[name]} ssl;`,
        "server 127.0.0.1:9192;": `server 127.0.0.1:${name === "bareAuth" ? barePort : httpPort};`,
        "server 127.0.0.1:8080;": `server 127.0.0.1:${upstreamPort};`,
        "/etc/nginx/tls/api.bank.example.pem": tls.cert,
        "/etc/nginx/tls/api.bank.example.key": tls.key,
      };
      if (name === "without") replacements["auth_request /_gatekeeper/authz;"] = "auth_request off;";
      if (name === "noKeepalive") for (const line of KEEPALIVE_LINES) replacements[line] = "";
      proxies.push(
        await startNginx(join(dir, name), substitute(block, replacements), front[name], {
          workerConnections: WORKER_CONNECTIONS,
          ...(cpu.server === undefined ? {} : { cpu: cpu.server }),
        }),
      );
    }
    const client = await ports();
    proxies.push(
      await startNginx(join(dir, "tpp"), tppBlock(dir, client, front), client.gatekeeper, {
        workerConnections: WORKER_CONNECTIONS,
        ...(cpu.load === undefined ? {} : { cpu: cpu.load }),
      }),
    );
    for (const name of FRONTS) await expectAllowed(client[name], name !== "without");

    const drive: Drive = async (port, concurrency) =>
      runH2loadHttp1({
        port,
        path: PATH,
        headers: [["x-request-id", REQUEST_ID]],
        concurrency,
        maxConnections: MAX_CONNECTIONS,
        seconds: SECONDS,
        ...(cpu.load === undefined ? {} : { cpu: cpu.load }),
      });
    for (const name of FRONTS) await drive(client[name], 16); // warm every cache, pool and JIT on the way
    const { rows, medians } = await levelRows(drive, ROUNDS, LEVELS, client.gatekeeper, client.without);
    const ceiling = await levelRows(drive, ROUNDS, LEVELS, client.gatekeeper, client.bareAuth);
    const bareAuth = await turns(drive, ROUNDS, client.bareAuth, client.without, 16);
    const before = await turns(drive, ROUNDS, client.noKeepalive, client.without, 16);
    const pinned =
      cpu.server === undefined
        ? "Nothing pinned (fewer than two CPUs or no taskset)."
        : `nginx, the service and the upstream pinned to CPU ${cpu.server}; h2load and the TPP's nginx to CPU ${cpu.load}.`;
    return [
      `${NGINX_SECTION_TITLE}\n`,
      `${new Date().toISOString()}, Node ${process.version}, nginx ${nginxVersion()}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}. The chain with the gatekeeper (the documented nginx block: TLS 1.3 with the TPP's QWAC, \`ssl_verify_client optional_no_ca\`, \`auth_request\` to the service's HTTP listener over \`keepalive 16\`, then \`proxy_pass\` to deploy/upstream/echo.mjs) against the same block with \`auth_request off\` ("without"). Service: warm allow (certificate cached, revocation off, decision log to /dev/null). Load: h2load --h1 (C), GET ${PATH.split("?")[0]}, up to ${MAX_CONNECTIONS} connections (at c=64, 4 pipelined), to a second nginx that stands in for the TPP and keeps its mTLS connections to the front open. ${pinned} ${SECONDS} s turns, ${ROUNDS} rounds per row, which chain goes first alternating.\n`,
      tableHead("with gatekeeper", "without"),
      ...rows,
      "",
      `Median ratio per row: ${medians.join(", ")}.`,
      "",
      "The same chain against its ceiling: the block asking a bare `node:http` server that answers the same identity headers (bench/bare_http_server.ts) instead of the gatekeeper (same turns):\n",
      tableHead("with gatekeeper", "with bare auth server"),
      ...ceiling.rows,
      "",
      `Median ratio per row: ${ceiling.medians.join(", ")}. The bare auth server's chain itself, concurrency 16: ${bareAuth.service.rps} req/s, ${ratioCell(bareAuth.ratios)} of the chain without auth_request (what nginx's subrequest costs with nothing behind it).`,
      "",
      `The documented block before keep-alive (no \`keepalive\` in the upstream block, HTTP/1.0 with \`Connection: close\` to the service: a TCP connection per auth request), concurrency 16: ${before.service.rps} req/s, ${ratioCell(before.ratios)} of the chain without the gatekeeper (with keep-alive, above: the c=16 row).`,
    ];
  } finally {
    for (const proxy of proxies) await proxy.stop();
    for (const child of children) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** nginx's certificate for api.bank.example, from a throwaway CA (the TPP side does not verify it). */
async function serverCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const ca = await issueCertificate({ subject: "CN=Bench Server CA", isCa: true });
  const server = await issueCertificate({
    subject: `CN=${HOST}`,
    issuer: ca,
    subjectAltNames: [HOST],
    extKeyUsage: ["1.3.6.1.5.5.7.3.1"],
  });
  const cert = join(dir, "server.pem");
  const key = join(dir, "server.key");
  writeFileSync(cert, server.pem);
  writeFileSync(key, server.keyPem, { mode: 0o600 });
  return { cert, key };
}

/**
 * The TPP's side: plain HTTP in, the QWAC's mTLS out, connections to the front kept open. The Host
 * header and the SNI name the bank's API; X-Request-ID comes from h2load.
 */
function tppBlock(dir: string, listen: Ports, front: Ports): string {
  const side = (name: Front): string =>
    [
      `upstream front_${name} { server 127.0.0.1:${front[name]}; keepalive 64; }`,
      "server {",
      `    listen 127.0.0.1:${listen[name]};`,
      "    location / {",
      `        proxy_pass https://front_${name};`,
      "        proxy_http_version 1.1;",
      '        proxy_set_header Connection "";',
      `        proxy_set_header Host ${HOST};`,
      `        proxy_ssl_certificate ${join(dir, "pki", "tpp-ai.pem")};`,
      `        proxy_ssl_certificate_key ${join(dir, "pki", "tpp-ai.key")};`,
      "        proxy_ssl_server_name on;",
      `        proxy_ssl_name ${HOST};`,
      "        proxy_ssl_session_reuse on;",
      "        proxy_ssl_protocols TLSv1.2 TLSv1.3;",
      "    }",
      "}",
    ].join("\n");
  return FRONTS.map(side).join("\n");
}

/** One request through a chain before measuring it: the upstream answers, and only through the gatekeeper with an identity. */
async function expectAllowed(port: number, gatekeeper: boolean): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}${PATH}`, {
    headers: { "x-request-id": REQUEST_ID },
  });
  const body = await response.text();
  const identified = body.includes('"x-tpp-organization-id":"PSDFR-');
  if (response.status !== 200 || identified !== gatekeeper)
    throw new Error(`chain on ${port} answered ${response.status}: ${body.slice(0, 300)}`);
}

function startEcho(port: number, cpu: number | undefined): Promise<Child> {
  return startNode([join(PROJECT_ROOT, "deploy/upstream/echo.mjs")], port, cpu, {
    probePath: "/healthz",
    env: { HOST: "127.0.0.1", PORT: String(port) },
  });
}

function nginxVersion(): string {
  const printed = spawnSync("nginx", ["-v"], { encoding: "utf8" }).stderr;
  return /nginx\/([\d.]+)/.exec(printed)?.[1] ?? "?";
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const lines = await nginxSection();
  process.stdout.write(`${lines.join("\n")}\n`);
  writeResults(lines.join("\n"));
  process.stdout.write("\n(section 7 written to bench/results.md)\n");
}
