/**
 * The HTTP authorization mode against its ceiling (issue 17): the service's HTTP listener and a bare
 * node:http server answering the same status and the same identity headers, each in its own process (the
 * service logging its decision lines to /dev/null, as to a log shipper), driven by h2load over HTTP/1.1
 * keep-alive connections with the requests nginx's auth_request sends under the documented block
 * (docs/proxies.md): X-Original-Method, X-Original-URI, the certificate in X-SSL-Client-Cert
 * ($ssl_client_escaped_cert), X-Forwarded-Sni and X-Request-Id. Warm allow: the certificate is cached,
 * revocation off, the documented service settings (sources [header], nginx as a trusted hop, SNI required).
 * The servers take turns as in the gRPC section (bench/turns.ts). Section 6 of `npm run bench`; on its
 * own `npm run bench:http` rewrites only its section of bench/results.md.
 */
import "reflect-metadata";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { ensureDemoPki } from "../src/demo/demo_pki.js";
import { PROJECT_ROOT } from "../src/foundation/project_root.js";
import { h2loadAvailable, runH2loadHttp1 } from "./h2load.js";
import { writeResults } from "./results_file.js";
import {
  type Drive,
  levelRows,
  noiseFloor,
  PROCESS_SPREAD,
  PROCESSES,
  row,
  TABLE_HEAD,
  tableHead,
  turns,
} from "./turns.js";

export const HTTP_SECTION_TITLE = "## 6. HTTP mode (nginx auth_request), warm allow";
const LEVELS = [1, 4, 16, 64];
const MAX_CONNECTIONS = 16;
const SECONDS = Number(process.env.BENCH_SECONDS ?? "1");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "8");
const AUTH_PATH = "/_gatekeeper/authz";
const SNI = "api.bank.example";

/** The headers the documented auth location sets (proxy_pass_request_headers off: nothing else). */
export function authRequestHeaders(pem: string): [string, string][] {
  return [
    ["x-original-method", "GET"],
    ["x-original-uri", "/v1/accounts/3dc3d5b3/transactions?bookingStatus=booked"],
    ["x-ssl-client-cert", encodeURIComponent(pem)],
    ["x-forwarded-sni", SNI],
    ["x-request-id", "8f0d5b0a-1c1e-4a8e-9a51-3f1f2f4f5d6e"],
  ];
}

/** What a variant of the bench's service changes in the documented settings. */
export interface ConfigVariant {
  /** Policy file (default: the shipped Berlin Group policy). */
  readonly policy?: string;
  /** Log level (default: info, so every decision writes its line). */
  readonly logLevel?: string;
}

/** The service settings docs/proxies.md gives for nginx in front, on the given ports. */
export function httpModeConfig(
  dir: string,
  grpcPort: number,
  httpPort: number,
  variant: ConfigVariant = {},
): string {
  const file = join(dir, `http-${httpPort}.yaml`);
  writeFileSync(
    file,
    [
      `listen: { host: 127.0.0.1, port: ${grpcPort} }`,
      `http: { enabled: true, host: 127.0.0.1, port: ${httpPort} }`,
      "trust: { anchors: pki/root.pem, intermediates: pki/intermediates.pem }",
      `policy: ${variant.policy ?? join(PROJECT_ROOT, "policies/berlin-group.yaml")}`,
      "sources: [header]",
      "trustedHops: { cidrs: [127.0.0.1/32] }",
      `sni: { required: true, hosts: [${SNI}] }`,
      "revocation: { enabled: false }",
      "metrics: { port: 0 }",
      `log: { level: ${variant.logLevel ?? "info"} }`,
    ].join("\n"),
  );
  return file;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A process the bench started; stop() ends it and waits for its exit. */
export interface Child {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a node script (through tsx) with its stdout going to /dev/null, pinned to `cpu` when given, and
 * waits (bounded) until `port` answers HTTP on `probePath` (default `/`).
 */
export async function startNode(
  args: readonly string[],
  port: number,
  cpu: number | undefined,
  options: { probePath?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<Child> {
  const node = [process.execPath, "--import", "tsx", ...args];
  const command = cpu === undefined ? node : ["taskset", "-c", String(cpu), ...node];
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ["ignore", "ignore", "inherit"],
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env },
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const handle: Child = {
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await Promise.race([
        exited,
        sleep(10_000, undefined, { ref: false }).then(() => child.kill("SIGKILL")),
      ]);
      await exited;
    },
  };
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) break;
    const answered = await fetch(`http://127.0.0.1:${port}${options.probePath ?? "/"}`)
      .then(async (response) => {
        await response.arrayBuffer();
        return true;
      })
      .catch(() => false);
    if (answered) return handle;
    await sleep(50);
  }
  await handle.stop();
  throw new Error(`${args.join(" ")} did not answer on 127.0.0.1:${port}`);
}

/** Servers on the last CPU, h2load on the first, when there are two and taskset is there. */
export function pinning(): { server: number | undefined; load: number | undefined } {
  const count = cpus().length;
  const pin = count >= 2 && spawnSync("taskset", ["-V"]).status === 0;
  return pin ? { server: count - 1, load: 0 } : { server: undefined, load: undefined };
}

export async function httpSection(): Promise<string[]> {
  if (!h2loadAvailable())
    return [`${HTTP_SECTION_TITLE}\n`, "Not measured: h2load (Debian nghttp2-client) is not installed."];
  const dir = mkdtempSync(join(tmpdir(), "gk-bench-http-"));
  const children: Child[] = [];
  try {
    await ensureDemoPki(join(dir, "pki"));
    const pem = readFileSync(join(dir, "pki", "tpp-ai.pem"), "utf8");
    const headers = authRequestHeaders(pem);
    const cpu = pinning();
    const service = async (variant: ConfigVariant = {}): Promise<Served> => {
      const port = await freePort();
      const config = httpModeConfig(dir, await freePort(), port, variant);
      children.push(await startNode([join(PROJECT_ROOT, "src/main.ts"), config], port, cpu.server));
      return { port, identity: await identityOfAllow(port, headers) };
    };
    const bare = async (identity: Served["identity"], busyUs = 0): Promise<number> => {
      const started = await startBareHttp(identity, cpu.server, busyUs);
      children.push(started.child);
      return started.port;
    };
    // PROCESSES of each for the main rows, the rounds spread over them (bench/turns.ts, Servers).
    const { port: httpPort, identity } = await service();
    const barePort = await bare(identity);
    const httpPorts = [httpPort];
    const barePorts = [barePort];
    while (httpPorts.length < PROCESSES) {
      httpPorts.push((await service()).port);
      barePorts.push(await bare(identity));
    }
    const drive: Drive = async (port, concurrency) =>
      runH2loadHttp1({
        port,
        path: AUTH_PATH,
        headers,
        concurrency,
        maxConnections: MAX_CONNECTIONS,
        seconds: SECONDS,
        ...(cpu.load === undefined ? {} : { cpu: cpu.load }),
      });
    for (const port of [...httpPorts, ...barePorts]) await drive(port, 16); // warm the caches and the JIT
    const { rows, medians } = await levelRows(drive, ROUNDS, LEVELS, httpPorts, barePorts);
    const floorOfNoise = await noiseFloor(drive, ROUNDS, barePorts, 16);
    const floor = await floorRows({ dir, drive, service, bare, cpu: cpu.server }, barePort, identity);
    const calibration = await calibrationRows(drive, bare, identity);
    const pinned =
      cpu.server === undefined ? "" : `; servers pinned to CPU ${cpu.server}, h2load to CPU ${cpu.load}`;
    return [
      `${HTTP_SECTION_TITLE}\n`,
      `${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}. The service's HTTP listener (\`sources: [header]\`, nginx's address a trusted hop, SNI required, revocation off, certificate cached, decision log to /dev/null) against a bare \`node:http\` server answering 200 with the same ${identity.length} identity headers. Load: h2load --h1 (C), GET ${AUTH_PATH} with the headers nginx's documented auth location sends (X-Original-Method, X-Original-URI, X-SSL-Client-Cert: ${headers[2]![1].length} bytes of percent-encoded PEM, X-Forwarded-Sni, X-Request-Id), up to ${MAX_CONNECTIONS} keep-alive connections, one request in flight on each (at c=64, 4 pipelined)${pinned}. ${SECONDS} s turns, ${ROUNDS} rounds per row, which server goes first alternating; the main rows run ${PROCESS_SPREAD}.\n`,
      TABLE_HEAD,
      ...rows,
      "",
      `Median ratio per row: ${medians.join(", ")}.${floorOfNoise === undefined ? "" : ` ${floorOfNoise}`}`,
      "",
      ...floor,
      "",
      ...calibration,
    ];
  } finally {
    for (const child of children) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Served {
  readonly port: number;
  /** The identity headers of the service's answer (none for a public route). */
  readonly identity: readonly (readonly [string, string])[];
}

/**
 * bench/bare_http_server.ts on a free port, answering `identity` and spending `busyUs` of CPU per
 * request, pinned to `cpu` when given.
 */
export async function startBareHttp(
  identity: Served["identity"],
  cpu: number | undefined,
  busyUs = 0,
): Promise<{ port: number; child: Child }> {
  const port = await freePort();
  const args = [join(PROJECT_ROOT, "bench/bare_http_server.ts"), String(port), JSON.stringify(identity)];
  const child = await startNode([...args, String(busyUs)], port, cpu);
  return { port, child };
}

/** One request as the bench sends it; the answer must be 200. */
export async function identityOfAllow(
  port: number,
  headers: readonly (readonly [string, string])[],
): Promise<Served["identity"]> {
  const allow = await fetch(`http://127.0.0.1:${port}${AUTH_PATH}`, {
    headers: Object.fromEntries(headers),
  });
  await allow.arrayBuffer();
  if (allow.status !== 200) throw new Error(`the service answered ${allow.status}, not an allow`);
  return [...allow.headers].filter(([name]) => name.startsWith("x-tpp-"));
}

const FLOOR_CONCURRENCY = 16;

/** What the floor rows start and drive servers with (httpSection's own helpers). */
interface FloorKit {
  readonly dir: string;
  readonly drive: Drive;
  readonly service: (variant: ConfigVariant) => Promise<Served>;
  readonly bare: (identity: Served["identity"], busyUs?: number) => Promise<number>;
  readonly cpu: number | undefined;
}

/**
 * Where the gap to the ceiling comes from, at c=16: the same service process with less of the work
 * to do, each against a bare server answering what that variant answers. A public route (the policy
 * makes the bench's path public) is judged without a certificate: path safety, SNI, the policy match
 * and the metrics run, the certificate source, the two caches and the identity headers do not. At
 * log level warn its decision line is not written either: what is left is node:http in the service's
 * process and the edge's own translation.
 */
async function floorRows(kit: FloorKit, barePort: number, identity: Served["identity"]): Promise<string[]> {
  const { dir, drive, service, bare } = kit;
  const policy = join(dir, "public-route.yaml");
  writeFileSync(
    policy,
    [
      "version: 1",
      "public:",
      "  - { id: bench-public, methods: [GET], path: /v1/accounts/** }",
      "rules:",
      "  - { id: bench-other, methods: [GET], path: /v1/consents/**, roles: [PSP_AI] }",
    ].join("\n"),
  );
  const variants: [string, ConfigVariant][] = [
    ["public route, log level warn: no certificate, no decision line", { policy, logLevel: "warn" }],
    ["public route: no certificate, with the decision line", { policy }],
  ];
  const rows = [await inServiceProcessRow(kit, barePort, identity)];
  for (const [name, variant] of variants) {
    const served = await service(variant);
    const ceiling = await bare(served.identity);
    await drive(served.port, FLOOR_CONCURRENCY);
    await drive(ceiling, FLOOR_CONCURRENCY);
    rows.push(row(name, await turns(drive, ROUNDS, served.port, ceiling, FLOOR_CONCURRENCY)));
  }
  return [
    `Where the gap comes from (c=${FLOOR_CONCURRENCY}, same turns; each variant against a bare server answering what that variant answers, a public route's allow carrying no identity headers):\n`,
    tableHead("variant", "bare", "variant"),
    ...rows,
  ];
}

const CALIBRATION_CONCURRENCY = 4;
const CALIBRATION_BUSY_US = [3, 6];

/**
 * What a fixed cost per request does to the ratio at c=4, where the table above is lowest: bare servers
 * with a busy wait added to each request against a bare server started with them. In this closed loop
 * (four requests in flight, client and server on their own CPUs) a few microseconds can cost more than
 * their share of a request's time, and the service's own work, however warm, meets that here.
 */
async function calibrationRows(
  drive: Drive,
  bare: FloorKit["bare"],
  identity: Served["identity"],
): Promise<string[]> {
  const barePort = await bare(identity);
  await drive(barePort, CALIBRATION_CONCURRENCY);
  const rows: string[] = [];
  for (const busyUs of CALIBRATION_BUSY_US) {
    const port = await bare(identity, busyUs);
    await drive(port, CALIBRATION_CONCURRENCY);
    const name = `bare server spending ${busyUs} µs of CPU per request`;
    rows.push(row(name, await turns(drive, ROUNDS, port, barePort, CALIBRATION_CONCURRENCY)));
  }
  return [
    `What a fixed cost per request does at c=${CALIBRATION_CONCURRENCY} (bare servers with a busy wait added to each request, against a bare server started with them; same turns):\n`,
    tableHead("variant", "bare", "variant"),
    ...rows,
  ];
}

/**
 * The bare server in a process that also holds the warmed service (bench/bare_in_service.ts), against
 * the standalone bare server: the same answer, none of the service's work.
 */
async function inServiceProcessRow(
  { dir, drive, cpu }: FloorKit,
  ceiling: number,
  identity: Served["identity"],
): Promise<string> {
  const servicePort = await freePort();
  const config = httpModeConfig(dir, await freePort(), servicePort);
  const port = await freePort();
  const script = join(PROJECT_ROOT, "bench/bare_in_service.ts");
  const child = await startNode([script, config, String(port), JSON.stringify(identity)], port, cpu);
  try {
    await drive(servicePort, FLOOR_CONCURRENCY); // the service's caches and JIT, as in the other rows
    await drive(port, FLOOR_CONCURRENCY);
    await drive(ceiling, FLOOR_CONCURRENCY);
    const name = "bare node:http inside the warmed service's process: none of the work";
    return row(name, await turns(drive, ROUNDS, port, ceiling, FLOOR_CONCURRENCY));
  } finally {
    await child.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const lines = await httpSection();
  process.stdout.write(`${lines.join("\n")}\n`);
  writeResults(lines.join("\n"));
  process.stdout.write("\n(section 6 written to bench/results.md)\n");
}
