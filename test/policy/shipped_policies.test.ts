import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPolicy, type Policy, safePath } from "../../src/policy/policy.js";
import { PSD2_ROLES, type Psd2Role } from "../../src/qwac/qwac.js";

const POLICIES = fileURLToPath(new URL("../../policies/", import.meta.url));

/** Whether a TPP holding only `role` may send this request under `policy`. */
function allows(policy: Policy, role: Psd2Role, method: string, rawPath: string): boolean {
  const path = safePath(rawPath);
  if (!path.ok) return false;
  const requirement = policy.match(method, path.value);
  if (requirement === undefined) return false;
  return requirement.kind === "public" || requirement.anyOf.includes(role);
}

/** [method, path, the one role that may send it] */
type Row = readonly [string, string, Psd2Role];

function expectOnlyRole(policy: Policy, [method, path, role]: Row): void {
  for (const candidate of PSD2_ROLES) {
    expect(allows(policy, candidate, method, path), `${candidate} ${method} ${path}`).toBe(
      candidate === role,
    );
  }
}

describe("policies/berlin-group.yaml grants each endpoint family to its role only", () => {
  const policy = loadPolicy(`${POLICIES}berlin-group.yaml`);
  const rows: readonly Row[] = [
    // AIS
    ["POST", "/v1/consents", "PSP_AI"],
    ["GET", "/v1/consents/c-1", "PSP_AI"],
    ["GET", "/v1/consents/c-1/status", "PSP_AI"],
    ["DELETE", "/v1/consents/c-1", "PSP_AI"],
    ["POST", "/v1/consents/c-1/authorisations", "PSP_AI"],
    ["PUT", "/v1/consents/c-1/authorisations/a-1", "PSP_AI"],
    ["GET", "/v1/accounts", "PSP_AI"],
    ["GET", "/v1/accounts?withBalance=true", "PSP_AI"],
    ["GET", "/v1/accounts/acc-1/balances", "PSP_AI"],
    ["GET", "/v1/accounts/acc-1/transactions?bookingStatus=booked&dateFrom=2024-01-01", "PSP_AI"],
    ["GET", "/v1/accounts/acc-1/transactions/t-1", "PSP_AI"],
    ["GET", "/v1/card-accounts", "PSP_AI"],
    ["GET", "/v1/card-accounts/card-1/transactions", "PSP_AI"],
    // PIS
    ["POST", "/v1/payments/sepa-credit-transfers", "PSP_PI"],
    ["GET", "/v1/payments/sepa-credit-transfers/p-1", "PSP_PI"],
    ["GET", "/v1/payments/sepa-credit-transfers/p-1/status", "PSP_PI"],
    ["DELETE", "/v1/payments/sepa-credit-transfers/p-1", "PSP_PI"],
    ["PUT", "/v1/payments/sepa-credit-transfers/p-1/authorisations/a-1", "PSP_PI"],
    ["POST", "/v1/payments/sepa-credit-transfers/p-1/cancellation-authorisations", "PSP_PI"],
    ["POST", "/v1/bulk-payments/pain.001-sepa-credit-transfers", "PSP_PI"],
    ["GET", "/v1/bulk-payments/pain.001-sepa-credit-transfers/b-1/status", "PSP_PI"],
    ["POST", "/v1/periodic-payments/instant-sepa-credit-transfers", "PSP_PI"],
    ["DELETE", "/v1/periodic-payments/instant-sepa-credit-transfers/pp-1", "PSP_PI"],
    ["POST", "/v1/signing-baskets", "PSP_PI"],
    ["GET", "/v1/signing-baskets/sb-1/status", "PSP_PI"],
    // PIIS
    ["POST", "/v1/funds-confirmations", "PSP_IC"],
    ["POST", "/v2/funds-confirmations", "PSP_IC"],
    ["POST", "/v2/consents/confirmation-of-funds", "PSP_IC"],
    ["GET", "/v2/consents/confirmation-of-funds/cf-1/status", "PSP_IC"],
    ["DELETE", "/v2/consents/confirmation-of-funds/cf-1", "PSP_IC"],
  ];

  it.each(rows.map((row) => [`${row[0]} ${row[1]}`, row] as const))("%s", (_, row) => {
    expectOnlyRole(policy, row);
  });

  it.each([
    ["GET", "/v1/funds-confirmations"], // POST only
    ["POST", "/v1/accounts"], // accounts are read-only
    ["DELETE", "/v1/accounts/acc-1"],
    ["HEAD", "/v1/accounts"],
    ["PATCH", "/v1/payments/sepa-credit-transfers/p-1"],
    ["POST", "/v1/payments"], // the payment product is required
    ["GET", "/v1/unknown"],
    ["GET", "/v3/accounts"],
    ["GET", "/health"], // no public routes shipped
    ["GET", "/v1/accounts/../payments/sepa-credit-transfers"],
    ["POST", "/v1/%70ayments/sepa-credit-transfers"],
    ["GET", "/v1/Accounts"],
  ])("grants %s %s to no role", (method, path) => {
    for (const role of PSD2_ROLES) expect(allows(policy, role, method, path), role).toBe(false);
  });
});

describe("policies/uk-open-banking.yaml grants each API to its role only", () => {
  const policy = loadPolicy(`${POLICIES}uk-open-banking.yaml`);
  const rows: readonly Row[] = [
    ["POST", "/open-banking/v3.1/aisp/account-access-consents", "PSP_AI"],
    ["DELETE", "/open-banking/v3.1/aisp/account-access-consents/c-1", "PSP_AI"],
    ["GET", "/open-banking/v3.1/aisp/accounts/22289/transactions", "PSP_AI"],
    ["POST", "/open-banking/v3.1/pisp/domestic-payment-consents", "PSP_PI"],
    ["GET", "/open-banking/v3.1/pisp/domestic-payment-consents/c-1/funds-confirmation", "PSP_PI"],
    ["POST", "/open-banking/v3.1/pisp/domestic-payments", "PSP_PI"],
    ["POST", "/open-banking/v3.1/cbpii/funds-confirmation-consents", "PSP_IC"],
    ["POST", "/open-banking/v3.1/cbpii/funds-confirmations", "PSP_IC"],
    ["POST", "/open-banking/v3.1/vrp/domestic-vrp-consents", "PSP_PI"],
    ["DELETE", "/open-banking/v3.1/vrp/domestic-vrp-consents/c-1", "PSP_PI"],
    ["POST", "/open-banking/v3.1/vrp/domestic-vrps", "PSP_PI"],
  ];

  it.each(rows.map((row) => [`${row[0]} ${row[1]}`, row] as const))("%s", (_, row) => {
    expectOnlyRole(policy, row);
  });

  it.each([
    ["DELETE", "/open-banking/v3.1/pisp/domestic-payments/p-1"],
    ["PUT", "/open-banking/v3.1/aisp/accounts"],
    ["GET", "/open-banking/v3.0/aisp/accounts"],
    ["GET", "/open-banking/v3.1/events"],
  ])("grants %s %s to no role", (method, path) => {
    for (const role of PSD2_ROLES) expect(allows(policy, role, method, path), role).toBe(false);
  });
});
