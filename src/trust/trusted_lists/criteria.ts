import { CertificatePolicyExtension, KeyUsageFlags, type X509Certificate } from "@peculiar/x509";
import type { CriteriaList } from "./model.js";

/** ETSI TS 119 612 §5.5.9.2.1.1 KeyUsageBit names, as in RFC 5280 §4.2.1.3. */
const KEY_USAGE_BITS: Readonly<Record<string, number>> = {
  digitalSignature: KeyUsageFlags.digitalSignature,
  nonRepudiation: KeyUsageFlags.nonRepudiation,
  keyEncipherment: KeyUsageFlags.keyEncipherment,
  dataEncipherment: KeyUsageFlags.dataEncipherment,
  keyAgreement: KeyUsageFlags.keyAgreement,
  keyCertSign: KeyUsageFlags.keyCertSign,
  crlSign: KeyUsageFlags.cRLSign,
  encipherOnly: KeyUsageFlags.encipherOnly,
  decipherOnly: KeyUsageFlags.decipherOnly,
};

/** What the criteria look at in the certificate, read once per certificate. */
export interface CriteriaFacts {
  readonly keyUsage: number | undefined;
  readonly policies: ReadonlySet<string>;
}

export function criteriaFacts(cert: X509Certificate, keyUsage: number | undefined): CriteriaFacts {
  const ext = cert.getExtension(CertificatePolicyExtension);
  return { keyUsage, policies: new Set(ext?.policies ?? []) };
}

/**
 * Whether a CriteriaList selects the certificate. `undefined` means "cannot tell" (a criterion this
 * reader does not evaluate): the caller fails closed, i.e. a positive qualifier does not apply and a
 * NotQualified qualifier does.
 */
export function criteriaMatch(list: CriteriaList, facts: CriteriaFacts): boolean | undefined {
  if (list.unsupported) return undefined;
  const results: (boolean | undefined)[] = [
    ...list.keyUsage.map((bits) => keyUsageMatch(bits, facts)),
    ...list.policySets.map((set) => set.every((oid) => facts.policies.has(oid))),
    ...list.nested.map((nested) => criteriaMatch(nested, facts)),
  ];
  if (results.includes(undefined)) return undefined;
  switch (list.assert) {
    case "all":
      return results.every(Boolean);
    case "atLeastOne":
      return results.some(Boolean);
    case "none":
      return !results.some(Boolean);
  }
}

function keyUsageMatch(bits: ReadonlyMap<string, boolean>, facts: CriteriaFacts): boolean | undefined {
  for (const [name, wanted] of bits) {
    const flag = KEY_USAGE_BITS[name];
    if (flag === undefined) return undefined;
    const set = facts.keyUsage !== undefined && (facts.keyUsage & flag) !== 0;
    if (set !== wanted) return false;
  }
  return true;
}
