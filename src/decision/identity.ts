import type { Psd2Role, Qwac } from "../qwac/qwac.js";

/** Who the TPP is, as the upstream API and the logs see it. Built once per certificate, then cached. */
export interface TppIdentity {
  readonly organizationIdentifier: string;
  readonly organizationName: string | undefined;
  readonly roles: readonly Psd2Role[];
  /** Role OIDs in the certificate that this service does not know: logged, never granted. */
  readonly unknownRoleOids: readonly string[];
  readonly ncaId: string;
  readonly ncaName: string;
  readonly certSha256: string;
  readonly certSerial: string;
  /** The issuing CA's name (RFC 4514), for the log and audit lines of a denial. */
  readonly certIssuer: string;
  /** ISO 8601 */
  readonly certNotAfter: string;
}

export function identityOf(qwac: Qwac, certSha256: string, certIssuer: string): TppIdentity {
  return {
    organizationIdentifier: qwac.organizationIdentifier,
    organizationName: qwac.organizationName,
    roles: qwac.roles,
    unknownRoleOids: qwac.unknownRoleOids,
    ncaId: qwac.ncaId,
    ncaName: qwac.ncaName,
    certSha256,
    certSerial: qwac.serialNumber,
    certIssuer,
    certNotAfter: qwac.notAfter.toISOString(),
  };
}

export type HeaderList = readonly (readonly [name: string, value: string])[];

/** The identity headers for the upstream, under one prefix (e.g. `x-tpp-`). */
export function identityHeaders(identity: TppIdentity, prefix: string): HeaderList {
  const headers: [string, string][] = [
    [`${prefix}organization-id`, headerSafe(identity.organizationIdentifier)],
    [`${prefix}roles`, identity.roles.join(",")],
    [`${prefix}nca-id`, headerSafe(identity.ncaId)],
    [`${prefix}nca-name`, headerSafe(identity.ncaName)],
    [`${prefix}cert-sha256`, identity.certSha256],
    [`${prefix}cert-serial`, identity.certSerial],
    [`${prefix}cert-not-after`, identity.certNotAfter],
  ];
  if (identity.organizationName !== undefined) {
    headers.push([`${prefix}organization-name`, headerSafe(identity.organizationName)]);
  }
  return headers;
}

/**
 * Certificate strings are attacker-influenced UTF-8; header values must be visible ASCII. Percent-encode
 * everything else (and `%` itself) so a name can neither inject a header nor be mangled by a proxy.
 */
export function headerSafe(value: string): string {
  return /^[\x20-\x24\x26-\x7e]*$/.test(value)
    ? value
    : Array.from(Buffer.from(value, "utf8"))
        .map((byte) =>
          byte >= 0x20 && byte <= 0x7e && byte !== 0x25
            ? String.fromCharCode(byte)
            : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`,
        )
        .join("");
}
