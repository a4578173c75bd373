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
import { DEMO_PKI_DIR } from "../src/demo/demo_pki.js";
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

async function main(): Promise<void> {
  const config = loadConfig(join(import.meta.dirname, "../config/demo.yaml"));
  const client = checkClient(`${config.listen.host}:${config.listen.port}`);
  const args = process.argv.slice(2);
  const runs = args.length >= 3 ? [[args[0], args[1], args[2]] as [string, string, string]] : TOUR;
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

void main();
