import { type ChildProcess, execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import type { Issuer } from "../../src/demo/certificate_factory.js";
import { freePort, listenOnLoopback } from "./ports.js";

/**
 * A real PKI for tests, made by the openssl command line: a CA (`openssl ca`, index.txt, CRLs from
 * `openssl ca -gencrl`), leaf and OCSP responder certificates with AIA and CDP extensions, and OCSP
 * answers from `openssl ocsp -index ... -CA ... -rsigner ... -rkey ...`.
 *
 * Why one `openssl ocsp` process per request (`-reqin`/`-respout`) rather than its `-port` daemon:
 * OpenSSL 3.0's responder only binds the wildcard address ("-port" takes a number, not host:port), and
 * tests listen on loopback only. The signing and status logic is the same code either way; the HTTP
 * side is `LoopbackServer` on 127.0.0.1, which also counts requests per route and can misbehave on demand.
 * Every process is awaited (and killed on close or after 10 s), so none outlives the test.
 */

/** Bounded: an openssl call that hangs fails the test instead of hanging it. */
const OPENSSL_TIMEOUT_MS = 10_000;

const running = new Set<ChildProcess>();

/** Runs openssl with arguments (no shell), optional stdin; resolves stdout, rejects with stderr. */
export function openssl(args: readonly string[], cwd: string, stdin?: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "openssl",
      args,
      {
        cwd,
        encoding: "buffer",
        timeout: OPENSSL_TIMEOUT_MS,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        running.delete(child);
        if (error) reject(new Error(`openssl ${args.join(" ")}: ${error.message}\n${stderr.toString()}`));
        else resolve(stdout);
      },
    );
    running.add(child);
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** Kills every openssl process still running (there should be none); for afterAll. */
export function killRunningOpenssl(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

export type CertProfile =
  /** A leaf with both an OCSP URL (AIA) and a CRL distribution point. */
  | "leaf-ocsp-crl"
  | "leaf-ocsp-only"
  | "leaf-crl-only"
  /** A delegated OCSP responder: EKU id-kp-OCSPSigning and id-pkix-ocsp-nocheck. */
  | "ocsp-responder"
  /** A delegated OCSP responder without id-pkix-ocsp-nocheck, whose own revocation is in the CRL. */
  | "ocsp-responder-checked";

export interface IssuedCert {
  readonly name: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly pem: string;
  readonly cert: X509Certificate;
}

export interface CaOptions {
  /** openssl -subj form, e.g. "/C=FR/O=Test QTSP/CN=Test QTSP CA". */
  readonly subject: string;
  /** What the AIA id-ad-ocsp of issued certificates points to. */
  readonly ocspUrl: string;
  /** What the CRL distribution point of issued certificates points to. */
  readonly crlUrl: string;
}

export type RevocationReason =
  | "unspecified"
  | "keyCompromise"
  | "superseded"
  | "cessationOfOperation"
  | "hold";

export interface OcspSigning {
  /** The CA itself, or a responder certificate. */
  readonly signer: IssuedCert;
  /** openssl -nmin: minutes until nextUpdate; absent = no nextUpdate in the answer. */
  readonly nextUpdateMinutes?: number;
  /** openssl -resp_key_id: responderID byKey instead of byName. */
  readonly responderIdByKey?: boolean;
}

export class OpensslCa {
  readonly #dir: string;
  #requests = 0;

  private constructor(
    dir: string,
    readonly cert: IssuedCert,
  ) {
    this.#dir = dir;
  }

  /** Creates `dir` with an RSA CA in it. */
  static async create(dir: string, options: CaOptions): Promise<OpensslCa> {
    await mkdir(join(dir, "newcerts"), { recursive: true });
    await writeFile(join(dir, "index.txt"), "");
    await writeFile(join(dir, "crlnumber"), "01\n");
    await writeFile(join(dir, "serial"), "01\n");
    await writeFile(join(dir, "openssl.cnf"), opensslConfig(dir, options));
    await openssl(
      [
        "req",
        "-x509",
        "-config",
        "openssl.cnf",
        "-extensions",
        "v3_ca",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        options.subject,
        "-days",
        "3650",
      ],
      dir,
    );
    return new OpensslCa(dir, await readIssued(dir, "ca", "ca.pem", "ca.key"));
  }

  /** An EC P-256 key and a certificate from `openssl ca`, recorded in index.txt. */
  async issue(name: string, profile: CertProfile): Promise<IssuedCert> {
    await this.#newKeyAndCsr(name);
    await openssl(
      [
        "ca",
        "-batch",
        "-config",
        "openssl.cnf",
        "-extensions",
        sectionOf(profile),
        "-rand_serial",
        "-notext",
        "-days",
        "30",
        "-in",
        `${name}.csr`,
        "-out",
        `${name}.pem`,
      ],
      this.#dir,
    );
    return readIssued(this.#dir, name, `${name}.pem`, `${name}.key`);
  }

  /**
   * The CA as a signer for src/demo/certificate_factory.ts, so tests can issue QWACs (QC statements, PSD2 roles) from
   * this openssl CA; record them with `recordValid` for its OCSP responder to know them.
   */
  async signer(): Promise<Issuer> {
    const pem = await readFile(this.cert.keyPath, "utf8");
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const privateKey = await crypto.subtle.importKey("pkcs8", der, algorithm, true, ["sign"]);
    const publicKey = await this.cert.cert.publicKey.export(algorithm, ["verify"]);
    return { cert: this.cert.cert, keys: { privateKey, publicKey } };
  }

  /** Adds a certificate issued outside `openssl ca` to index.txt as valid (`openssl ca -valid`). */
  async recordValid(name: string, pem: string): Promise<IssuedCert> {
    const certPath = join(this.#dir, `${name}.pem`);
    await writeFile(certPath, pem);
    await openssl(["ca", "-config", "openssl.cnf", "-valid", certPath], this.#dir);
    return { name, certPath, keyPath: "", pem, cert: new X509Certificate(pem) };
  }

  /** Signed by the CA key but not through `openssl ca`: absent from index.txt, so OCSP says "unknown". */
  async issueUnrecorded(name: string, profile: CertProfile): Promise<IssuedCert> {
    await this.#newKeyAndCsr(name);
    await openssl(
      [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        "0x7e57000000000001",
        "-extfile",
        "openssl.cnf",
        "-extensions",
        sectionOf(profile),
        "-days",
        "30",
        "-out",
        `${name}.pem`,
      ],
      this.#dir,
    );
    return readIssued(this.#dir, name, `${name}.pem`, `${name}.key`);
  }

  async revoke(cert: IssuedCert, reason: RevocationReason): Promise<void> {
    const how =
      reason === "hold"
        ? ["-crl_hold", "holdInstructionReject"]
        : reason === "unspecified"
          ? []
          : ["-crl_reason", reason];
    await openssl(["ca", "-config", "openssl.cnf", "-revoke", cert.certPath, ...how], this.#dir);
  }

  /**
   * A DER CRL from `openssl ca -gencrl`, valid from now for `hours`, or for an explicit window. `only`:
   * an issuingDistributionPoint limiting it to CA certificates (an ARL, onlyContainsCACerts) or to
   * end-entity certificates (onlyContainsUserCerts).
   */
  async crl(
    window: { hours: number } | { lastUpdate: Date; nextUpdate: Date } = { hours: 24 },
    only?: "ca" | "user",
  ): Promise<Uint8Array> {
    const file = `crl-${++this.#requests}`;
    const validity =
      "hours" in window
        ? ["-crlhours", String(window.hours)]
        : [
            "-crl_lastupdate",
            generalizedTime(window.lastUpdate),
            "-crl_nextupdate",
            generalizedTime(window.nextUpdate),
          ];
    const extensions = only === undefined ? [] : ["-crlexts", `crl_${only}_only`];
    await openssl(
      ["ca", "-config", "openssl.cnf", "-gencrl", ...validity, ...extensions, "-out", `${file}.pem`],
      this.#dir,
    );
    await openssl(["crl", "-in", `${file}.pem`, "-outform", "DER", "-out", `${file}.der`], this.#dir);
    return new Uint8Array(await readFile(join(this.#dir, `${file}.der`)));
  }

  /** What `openssl ocsp`, as this CA's responder, answers to a DER OCSPRequest. */
  async ocspAnswer(request: Uint8Array, signing: OcspSigning): Promise<Uint8Array> {
    const file = `ocsp-${++this.#requests}`;
    await writeFile(join(this.#dir, `${file}.req`), request);
    await openssl(
      [
        "ocsp",
        "-index",
        "index.txt",
        "-CA",
        "ca.pem",
        "-rsigner",
        signing.signer.certPath,
        "-rkey",
        signing.signer.keyPath,
        ...(signing.nextUpdateMinutes === undefined ? [] : ["-nmin", String(signing.nextUpdateMinutes)]),
        ...(signing.responderIdByKey === true ? ["-resp_key_id"] : []),
        "-reqin",
        `${file}.req`,
        "-respout",
        `${file}.resp`,
      ],
      this.#dir,
    );
    return new Uint8Array(await readFile(join(this.#dir, `${file}.resp`)));
  }

  async #newKeyAndCsr(name: string): Promise<void> {
    await openssl(
      [
        "req",
        "-new",
        "-config",
        "openssl.cnf",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
        "-subj",
        `/O=Test TPP/CN=${name}`,
      ],
      this.#dir,
    );
  }
}

async function readIssued(dir: string, name: string, certFile: string, keyFile: string): Promise<IssuedCert> {
  const pem = await readFile(join(dir, certFile), "utf8");
  return {
    name,
    certPath: join(dir, certFile),
    keyPath: join(dir, keyFile),
    pem,
    cert: new X509Certificate(pem),
  };
}

/** openssl.cnf section names stay to letters, digits and underscores. */
function sectionOf(profile: CertProfile): string {
  return profile.replaceAll("-", "_");
}

function generalizedTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
}

function opensslConfig(dir: string, options: CaOptions): string {
  const leafCommon = [
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature",
    "extendedKeyUsage = clientAuth, serverAuth",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid",
  ];
  const responderCommon = [
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature",
    "extendedKeyUsage = OCSPSigning",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid",
  ];
  const aia = `authorityInfoAccess = OCSP;URI:${options.ocspUrl}`;
  const cdp = `crlDistributionPoints = URI:${options.crlUrl}`;
  const section = (name: string, lines: readonly string[]) => `[ ${name} ]\n${lines.join("\n")}\n`;
  return [
    section("ca", ["default_ca = CA_default"]),
    section("CA_default", [
      `dir = ${dir}`,
      "database = $dir/index.txt",
      "new_certs_dir = $dir/newcerts",
      "certificate = $dir/ca.pem",
      "private_key = $dir/ca.key",
      "crlnumber = $dir/crlnumber",
      "serial = $dir/serial",
      "default_md = sha256",
      "default_days = 30",
      "default_crl_hours = 24",
      "policy = policy_any",
      "unique_subject = no",
      "copy_extensions = none",
      "email_in_dn = no",
      "crl_extensions = crl_ext",
    ]),
    section("policy_any", ["organizationName = optional", "commonName = supplied"]),
    section("req", ["distinguished_name = req_dn", "prompt = no"]),
    section("req_dn", []),
    section("v3_ca", [
      "basicConstraints = critical, CA:TRUE",
      "keyUsage = critical, keyCertSign, cRLSign",
      "subjectKeyIdentifier = hash",
    ]),
    section("crl_ext", ["authorityKeyIdentifier = keyid"]),
    section("crl_ca_only", [
      "authorityKeyIdentifier = keyid",
      "issuingDistributionPoint = critical, @idp_ca",
    ]),
    section("idp_ca", ["onlyCA = TRUE"]),
    section("crl_user_only", [
      "authorityKeyIdentifier = keyid",
      "issuingDistributionPoint = critical, @idp_user",
    ]),
    section("idp_user", ["onlyuser = TRUE"]),
    section(sectionOf("leaf-ocsp-crl"), [...leafCommon, aia, cdp]),
    section(sectionOf("leaf-ocsp-only"), [...leafCommon, aia]),
    section(sectionOf("leaf-crl-only"), [...leafCommon, cdp]),
    section(sectionOf("ocsp-responder"), [...responderCommon, "noCheck = ignored"]),
    section(sectionOf("ocsp-responder-checked"), [...responderCommon, cdp]),
  ].join("\n");
}

/** What a route of the loopback server does with a request. */
export type Route =
  /** Answer as `openssl ocsp` for this CA with this signer (POST body, or RFC 5019 GET path). */
  | { readonly kind: "ocsp"; readonly ca: OpensslCa; readonly signing: OcspSigning }
  /**
   * Answers captured beforehand (e.g. with `OpensslCa.ocspAnswer`), keyed by `replayKey(request)`: an OCSP
   * responder that costs no process per request, for benchmarks and for replaying an answer elsewhere.
   */
  | { readonly kind: "replay"; readonly answers: ReadonlyMap<string, Uint8Array> }
  | { readonly kind: "bytes"; readonly body: Uint8Array; readonly contentType: string }
  | { readonly kind: "status"; readonly status: number }
  /** A 3xx pointing elsewhere: the service must not follow it. */
  | { readonly kind: "redirect"; readonly status: number; readonly location: string }
  /** Wait, then behave like `next`; the timer is cleared when the server closes. */
  | { readonly kind: "delay"; readonly ms: number; readonly next: Route };

/**
 * An HTTP server on 127.0.0.1 with named routes that tests can swap at any time, counting the requests
 * each route received: "exactly one responder request" is asserted here.
 */
export class LoopbackServer {
  readonly #server: Server;
  readonly #routes = new Map<string, Route>();
  readonly #hits = new Map<string, number>();
  readonly #methods = new Map<string, string>();
  readonly #timers = new Set<NodeJS.Timeout>();

  #origin = "";

  private constructor() {
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(599);
        response.end(String(error));
      });
    });
  }

  static async start(): Promise<LoopbackServer> {
    const self = new LoopbackServer();
    const port = await listenOnLoopback(self.#server);
    self.#origin = `http://127.0.0.1:${port}`;
    return self;
  }

  /** http://127.0.0.1:<port> */
  get origin(): string {
    return this.#origin;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  route(path: string, route: Route): void {
    this.#routes.set(path, route);
  }

  /** Requests received on `path` (including GET requests below it) since start or the last reset. */
  hits(path: string): number {
    return this.#hits.get(path) ?? 0;
  }

  /** The HTTP method of the last request on `path`. */
  lastMethod(path: string): string | undefined {
    return this.#methods.get(path);
  }

  resetHits(): void {
    this.#hits.clear();
    this.#methods.clear();
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", this.origin).pathname;
    const key = this.#routeKey(path);
    const route = key === undefined ? undefined : this.#routes.get(key);
    if (key === undefined || route === undefined) {
      response.writeHead(404).end();
      return;
    }
    this.#hits.set(key, this.hits(key) + 1);
    this.#methods.set(key, request.method ?? "");
    const body = await readBody(request);
    await this.#answer(route, request, path.slice(key.length), body, response);
  }

  /** The longest registered path equal to `path` or a parent of it (RFC 5019 GET appends the request). */
  #routeKey(path: string): string | undefined {
    let best: string | undefined;
    for (const key of this.#routes.keys()) {
      if ((path === key || path.startsWith(`${key}/`)) && (best === undefined || key.length > best.length))
        best = key;
    }
    return best;
  }

  async #answer(
    route: Route,
    request: IncomingMessage,
    rest: string,
    body: Buffer,
    response: ServerResponse,
  ): Promise<void> {
    switch (route.kind) {
      case "status":
        response.writeHead(route.status).end();
        return;
      case "redirect":
        response.writeHead(route.status, { location: route.location }).end();
        return;
      case "bytes":
        response.writeHead(200, { "content-type": route.contentType }).end(route.body);
        return;
      case "delay":
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#timers.delete(timer);
            resolve();
          }, route.ms);
          this.#timers.add(timer);
        });
        if (response.destroyed) return;
        return this.#answer(route.next, request, rest, body, response);
      case "ocsp": {
        const answer = await route.ca.ocspAnswer(ocspRequestOf(request, rest, body), route.signing);
        response.writeHead(200, { "content-type": "application/ocsp-response" }).end(answer);
        return;
      }
      case "replay": {
        const answer = route.answers.get(replayKey(ocspRequestOf(request, rest, body)));
        if (answer === undefined) response.writeHead(404).end();
        else response.writeHead(200, { "content-type": "application/ocsp-response" }).end(answer);
        return;
      }
    }
  }
}

/** The DER OCSPRequest from a POST body or an RFC 5019 GET path. */
function ocspRequestOf(request: IncomingMessage, rest: string, body: Buffer): Uint8Array {
  if (request.method !== "GET") return new Uint8Array(body);
  return new Uint8Array(Buffer.from(decodeURIComponent(rest.replace(/^\//, "")), "base64"));
}

/** The key of a captured answer in a "replay" route: the request DER, base64 (requests without nonce repeat). */
export function replayKey(request: Uint8Array): string {
  return Buffer.from(request).toString("base64");
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** A loopback URL where nothing listens: a responder that is down (connection refused). */
export async function closedPortUrl(path = "/"): Promise<string> {
  return `http://127.0.0.1:${await freePort()}${path}`;
}
