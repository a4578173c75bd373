/**
 * The PSD2 roles of ETSI TS 119 495 clause 5.1 and their OIDs. A role is identified by its OID; the name
 * in the certificate is only a cross-check (see qwac.ts), because newer versions of TS 119 495 add roles
 * whose names an older reader could not know.
 */

/** The four PSD2 roles of ETSI TS 119 495, named as in the standard. */
export type Psd2Role = "PSP_AS" | "PSP_PI" | "PSP_AI" | "PSP_IC";

/** The stable order in which roles are reported: the OID order of TS 119 495. */
export const PSD2_ROLES: readonly Psd2Role[] = ["PSP_AS", "PSP_PI", "PSP_AI", "PSP_IC"];

/** id-psd2-role ::= { itu-t(0) identified-organization(4) etsi(0) psd2(19495) id-role(1) } */
export const ID_PSD2_ROLE = "0.4.0.19495.1";

export const PSD2_ROLE_OIDS: Readonly<Record<Psd2Role, string>> = {
  PSP_AS: `${ID_PSD2_ROLE}.1`, // account servicing (the bank itself)
  PSP_PI: `${ID_PSD2_ROLE}.2`, // payment initiation
  PSP_AI: `${ID_PSD2_ROLE}.3`, // account information
  PSP_IC: `${ID_PSD2_ROLE}.4`, // issuing of card-based payment instruments
};

const ROLE_BY_OID: ReadonlyMap<string, Psd2Role> = new Map(
  PSD2_ROLES.map((role) => [PSD2_ROLE_OIDS[role], role]),
);

/** The role an OID stands for, or undefined for an OID this service does not know. */
export function roleForOid(oid: string): Psd2Role | undefined {
  return ROLE_BY_OID.get(oid);
}

/** Sorts and deduplicates roles into the order of PSD2_ROLES, so equal role sets compare equal. */
export function inStableOrder(roles: Iterable<Psd2Role>): Psd2Role[] {
  const present = new Set(roles);
  return PSD2_ROLES.filter((role) => present.has(role));
}
