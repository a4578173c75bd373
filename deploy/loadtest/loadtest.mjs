// Drives mTLS traffic through Envoy with several TPP certificates and prints throughput and latency
// percentiles: the `loadtest` service of docker-compose.yml, and runnable by hand against any URL.
//
//   node deploy/loadtest/loadtest.mjs --url https://localhost:8443 --ca /tmp/psd2-pki/envoy/server-ca.pem \
//     --pki /tmp/psd2-pki/qtsp --duration 30 --concurrency 32
//
// Why a Node script and not h2load: h2load cannot present a client certificate, and each TPP must arrive
// on its own TLS connection with its own certificate (that is what the gatekeeper caches by). One HTTP/2
// session per TPP; `concurrency` requests in flight in total, spread over the TPPs round robin.
// Latency is the time from sending the request headers to the last byte of the answer, as the TPP sees it
// (Envoy + gatekeeper + upstream), recorded in a log-bucketed histogram (1% resolution, fixed memory).
import { readFileSync } from "node:fs";
import { connect } from "node:http2";
import { isAbsolute, join } from "node:path";
import { parseArgs } from "node:util";

const USAGE = `usage: node loadtest.mjs --url https://host:port [options]
  --url URL            Envoy's listener (required)
  --servername NAME    TLS SNI and :authority (default: the URL's host)
  --ca FILE            CA that signed Envoy's server certificate (default: the system CAs)
  --pki DIR            folder of the TPP certificates <name>.pem / <name>.key (default /pki/qtsp)
  --tpp "NAME=METHOD /path"   a TPP and the request it sends; repeat it (default: the demo TPPs)
  --concurrency N      requests in flight, in total (default 32)
  --duration SECONDS   how long to run (default 30)
  --requests N         stop after N requests instead (for tests and quick checks)
  --json               print the summary as one JSON line`;

/** One request per demo TPP that its roles allow, plus the demo's refusals (expired, revoked). */
const DEMO_TARGETS = [
  "tpp-ai=GET /v1/accounts",
  "tpp-pi=POST /v1/payments/sepa-credit-transfers",
  "tpp-ic=POST /v1/funds-confirmations",
  "tpp-all=GET /v1/consents/demo-consent/status",
  "tpp-expired=GET /v1/accounts",
  "tpp-revoked=GET /v1/accounts",
];

const REQUEST_TIMEOUT_MS = 10_000;
/** A failed connection is retried after this pause, so a refusing server is not hammered in a tight loop. */
const RECONNECT_PAUSE_MS = 100;
const BODY = JSON.stringify({ demo: true });

/** Latencies in microseconds, bucketed by powers of 1.01: fixed memory however long the run. */
class LatencyHistogram {
  static #GROWTH = 1.01;
  static #LOG_GROWTH = Math.log(LatencyHistogram.#GROWTH);
  static #BUCKETS = Math.ceil(Math.log(600e6) / LatencyHistogram.#LOG_GROWTH) + 1; // up to 10 minutes
  #counts = new Float64Array(LatencyHistogram.#BUCKETS);
  #total = 0;
  #max = 0;

  record(micros) {
    const index = Math.ceil(Math.log(Math.max(1, micros)) / LatencyHistogram.#LOG_GROWTH);
    this.#counts[Math.min(index, LatencyHistogram.#BUCKETS - 1)] += 1;
    this.#total += 1;
    this.#max = Math.max(this.#max, micros);
  }

  get count() {
    return this.#total;
  }

  /** The upper bound of the bucket holding the p-th percentile (at most 1% above the true value). */
  percentile(p) {
    if (this.#total === 0) return 0;
    const rank = Math.ceil((p / 100) * this.#total);
    let seen = 0;
    for (let index = 0; index < this.#counts.length; index++) {
      seen += this.#counts[index];
      if (seen >= rank) return Math.min(LatencyHistogram.#GROWTH ** index, this.#max);
    }
    return this.#max;
  }
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      servername: { type: "string" },
      ca: { type: "string" },
      pki: { type: "string", default: "/pki/qtsp" },
      tpp: { type: "string", multiple: true },
      concurrency: { type: "string", default: "32" },
      duration: { type: "string", default: "30" },
      requests: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || values.url === undefined) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const url = new URL(values.url);
  return {
    origin: url.origin,
    servername: values.servername ?? url.hostname,
    ca: values.ca === undefined ? undefined : readFileSync(values.ca),
    targets: (values.tpp ?? DEMO_TARGETS).map((spec) => parseTarget(spec, values.pki)),
    concurrency: positiveInteger(values.concurrency, "--concurrency"),
    durationMs: positiveInteger(values.duration, "--duration") * 1000,
    requests: values.requests === undefined ? undefined : positiveInteger(values.requests, "--requests"),
    json: values.json,
  };
}

function positiveInteger(text, name) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${text}`);
  return value;
}

/** "tpp-ai=GET /v1/accounts": the certificate <pki>/tpp-ai.pem + .key, and the request it sends. */
function parseTarget(spec, pkiDir) {
  const match = /^([^=]+)=([A-Z]+) (\/\S*)$/.exec(spec);
  if (match === null) throw new Error(`--tpp must look like "tpp-ai=GET /v1/accounts", got "${spec}"`);
  const [, name, method, path] = match;
  const base = isAbsolute(name) ? name : join(pkiDir, name);
  return {
    name,
    method,
    path,
    cert: readFileSync(`${base}.pem`),
    key: readFileSync(`${base}.key`),
    hasBody: method === "POST" || method === "PUT" || method === "PATCH",
    statuses: new Map(),
    errors: new Map(),
    session: undefined,
  };
}

/** The TPP's HTTP/2 session, opened again if the last one closed (Envoy drain, idle timeout, reset). */
function sessionOf(target, options) {
  if (target.session === undefined || target.session.closed || target.session.destroyed) {
    target.session = connect(options.origin, {
      ca: options.ca,
      cert: target.cert,
      key: target.key,
      servername: options.servername,
      ALPNProtocols: ["h2"],
    });
    // Failures surface on the streams, where they are counted; an unhandled session error would end the run.
    target.session.on("error", () => {});
  }
  return target.session;
}

/** Sends one request; resolves with the status and latency, or the error code. Never rejects. */
function send(target, options) {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const started = process.hrtime.bigint();
    let status = 0;
    let stream;
    try {
      stream = sessionOf(target, options).request(
        {
          ":method": target.method,
          ":path": target.path,
          ":authority": options.servername,
          ...(target.hasBody ? { "content-type": "application/json" } : {}),
        },
        { endStream: !target.hasBody },
      );
    } catch (error) {
      settle({ error: error.code ?? error.message });
      return;
    }
    stream.setTimeout(REQUEST_TIMEOUT_MS, () => stream.close());
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
    });
    stream.on("data", () => {});
    stream.on("end", () => {
      settle({ status, micros: Number(process.hrtime.bigint() - started) / 1000 });
    });
    stream.on("error", (error) => settle({ error: error.code ?? error.message }));
    stream.on("close", () => settle({ error: status === 0 ? "NO_RESPONSE" : "INCOMPLETE_RESPONSE" }));
    if (target.hasBody) stream.end(BODY);
  });
}

function increment(map, key) {
  map.set(key, (map.get(key) ?? 0) + 1);
}

async function run(options) {
  const histogram = new LatencyHistogram();
  const started = Date.now();
  const deadline = started + options.durationMs;
  let issued = 0;
  const mayIssue = () => (options.requests === undefined ? Date.now() < deadline : issued < options.requests);

  // Worker w sends its k-th request as TPP (w + k) mod n: every TPP gets traffic at any concurrency.
  const worker = async (offset) => {
    for (let k = 0; mayIssue(); k++) {
      issued += 1;
      const target = options.targets[(offset + k) % options.targets.length];
      const outcome = await send(target, options);
      if (outcome.error !== undefined) {
        increment(target.errors, outcome.error);
        await new Promise((resume) => setTimeout(resume, RECONNECT_PAUSE_MS));
      } else {
        increment(target.statuses, outcome.status);
        histogram.record(outcome.micros);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  const elapsedMs = Date.now() - started;
  for (const target of options.targets) target.session?.close();
  return summarize(options, histogram, elapsedMs);
}

function summarize(options, histogram, elapsedMs) {
  const ms = (micros) => Math.round(micros) / 1000;
  const errors = options.targets.reduce(
    (sum, t) => sum + [...t.errors.values()].reduce((a, b) => a + b, 0),
    0,
  );
  return {
    url: options.origin,
    servername: options.servername,
    concurrency: options.concurrency,
    seconds: elapsedMs / 1000,
    responses: histogram.count,
    errors,
    requestsPerSecond: Math.round((histogram.count / Math.max(elapsedMs, 1)) * 1000 * 10) / 10,
    latencyMs: {
      p50: ms(histogram.percentile(50)),
      p90: ms(histogram.percentile(90)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.percentile(100)),
    },
    targets: options.targets.map((t) => ({
      tpp: t.name,
      request: `${t.method} ${t.path}`,
      statuses: Object.fromEntries(t.statuses),
      errors: Object.fromEntries(t.errors),
    })),
  };
}

function printTable(summary) {
  const lines = [
    `loadtest ${summary.url} (SNI ${summary.servername}), concurrency ${summary.concurrency}, ${summary.seconds} s`,
    `${"tpp".padEnd(14)} ${"request".padEnd(48)} answers`,
  ];
  for (const target of summary.targets) {
    const statuses = Object.entries(target.statuses).map(([code, n]) => `${code}: ${n}`);
    const errors = Object.entries(target.errors).map(([code, n]) => `${code}: ${n}`);
    lines.push(
      `${target.tpp.padEnd(14)} ${target.request.padEnd(48)} ${[...statuses, ...errors].join(", ")}`,
    );
  }
  const { p50, p90, p99, max } = summary.latencyMs;
  lines.push(
    `${summary.responses} responses (${summary.errors} errors) = ${summary.requestsPerSecond} req/s; ` +
      `latency ms p50 ${p50} p90 ${p90} p99 ${p99} max ${max}`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error.message}\n${USAGE}\n`);
  process.exit(2);
}
const summary = await run(options);
if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
else printTable(summary);
// No answer at all means the stack is not up (or refuses every certificate): say so with the exit code.
process.exit(summary.responses > 0 ? 0 : 1);
