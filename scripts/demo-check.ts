/**
 * Sends Checks to a running gatekeeper (`npm start`) with the demo certificates and prints the answers.
 *   npm run demo:check                                  a tour: allow, wrong role, expired, QSealC, a CA on
 *                                                       no trusted list, none
 *   npm run demo:check -- tpp-pi POST /v1/payments/sepa-credit-transfers
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import { loadConfig } from "../src/config/config.js";
import { DEMO_PKI_DIR, DEMO_TPPS, DEMO_UNLISTED_TPP } from "../src/demo/demo_pki.js";
import type { WireCheckResponse } from "../src/envoy/wire.js";
// The tests' client and request builder: the demo asks the service exactly as the tests do (scripts/ is
// not shipped; it runs from the repository with its dev dependencies).
import { checkRequest } from "../test/support/check_request.js";
import { checkClient } from "../test/support/ext_authz_client.js";

const TOUR: [tpp: string, method: string, path: string][] = [
  ["tpp-ai", "GET", "/v1/accounts?withBalance=true"],
  ["tpp-pi", "POST", "/v1/payments/sepa-credit-transfers"],
  ["tpp-pi", "GET", "/v1/accounts"],
  ["tpp-expired", "GET", "/v1/accounts"],
  ["tpp-qseal", "GET", "/v1/accounts"],
  ["tpp-unlisted", "GET", "/v1/accounts"],
  ["none", "GET", "/v1/accounts"],
  ["tpp-all", "GET", "/v1/accounts/../payments"],
];

const USAGE =
  "usage: npm run demo:check                     the tour\n" +
  "       npm run demo:check -- TPP METHOD PATH   one Check, e.g. tpp-pi POST /v1/payments/sepa-credit-transfers\n";

/** The runs the arguments ask for, or the reason they make no sense (exit 2 with usage, never a stack). */
function runsOf(args: readonly string[]): [string, string, string][] | string {
  if (args.length === 0) return TOUR;
  if (args.length !== 3) return `expected TPP METHOD PATH, got ${args.length} argument(s)`;
  const [tpp, method, path] = args as [string, string, string];
  const known = ["none", ...Object.keys(DEMO_TPPS), DEMO_UNLISTED_TPP];
  if (!known.includes(tpp)) return `unknown demo TPP "${tpp}": one of ${known.join(", ")}`;
  if (!path.startsWith("/")) return `the path must start with "/", got "${path}"`;
  return [[tpp, method.toUpperCase(), path]];
}

async function main(): Promise<void> {
  const runs = runsOf(process.argv.slice(2));
  if (typeof runs === "string") {
    process.stderr.write(`demo:check: ${runs}\n${USAGE}`);
    process.exit(2);
  }
  const config = loadConfig(join(import.meta.dirname, "../config/demo.yaml"));
  const client = checkClient(`${config.listen.host}:${config.listen.port}`);
  for (const [tpp, method, path] of runs) {
    const certPem = tpp === "none" ? undefined : readFileSync(join(DEMO_PKI_DIR, `${tpp}.pem`), "utf8");
    const request = checkRequest({ method, path, requestId: `demo-${tpp}`, certPem });
    const response = await client.check(request, { timeoutMs: 3000 }).catch((error: ServiceError) => {
      process.stderr.write(
        `cannot reach the gatekeeper at ${config.listen.host}:${config.listen.port} (${error.details}); start it with: npm start\n`,
      );
      process.exit(2);
    });
    printResult(tpp, method, path, response);
  }
  client.close();
}

function printResult(tpp: string, method: string, path: string, response: WireCheckResponse): void {
  const line = `${tpp.padEnd(12)} ${method.padEnd(5)} ${path.padEnd(40)}`;
  if (response.ok_response !== undefined) {
    const headers = response.ok_response.headers.map((h) => `${h.header.key}: ${h.header.value}`);
    process.stdout.write(`${line} -> ALLOW\n${headers.map((h) => `      ${h}`).join("\n")}\n`);
    return;
  }
  const denied = response.denied_response;
  const reason = denied?.headers.find((h) => h.header.key === "x-authz-reason")?.header.value;
  process.stdout.write(`${line} -> DENY ${denied?.status.code} ${reason}\n      ${denied?.body}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo:check: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
