import { AsnConvert } from "@peculiar/asn1-schema";
import { CertificateList, IssuingDistributionPoint } from "@peculiar/asn1-x509";
import { KeyUsageFlags, PemConverter, type X509Certificate, X509Crl } from "@peculiar/x509";
import { certFacts } from "../trust/cert_facts.js";
import { type CrlParts, splitCrl } from "./crl_der.js";
import { type RevokedEntry, type RevokedList, readRevokedCertificates } from "./crl_entries.js";
import { failed, type RevocationResult, success } from "./failure.js";

/**
 * CRLs (RFC 5280 5, 6.3) without I/O: verify a full CRL issued and signed by the certificate's issuer,
 * check its freshness, and index its entries once so a lookup is a Map get, not a scan per request. Any
 * size up to `maxCrlBytes` is read: the revoked list is walked as DER (crl_der.ts, crl_entries.ts), not
 * handed to a general ASN.1 parser with node and length limits.
 */

export { CRL_REASON_NAMES, crlReasonName, type RevokedEntry } from "./crl_entries.js";

export interface VerifiedCrl {
  readonly thisUpdate: Date;
  /** Absent: the issuer promised nothing; the checker then uses its default TTL. */
  readonly nextUpdate: Date | undefined;
  /** The revoked serials, looked up by `normaliseSerialHex` spelling (`lookupSerial`). */
  readonly revoked: RevokedList;
  /**
   * The distribution point URIs its issuingDistributionPoint names: it answers only for certificates
   * whose CRL distribution points include one of them. Empty: every certificate of the issuer.
   */
  readonly scope: readonly string[];
  /**
   * Which certificates it lists, from issuingDistributionPoint (RFC 5280 5.2.5): `ca` with
   * onlyContainsCACerts, `end-entity` with onlyContainsUserCerts, otherwise `all`.
   */
  readonly certificates: CrlCertificates;
}

export type CrlCertificates = "all" | "ca" | "end-entity";

export interface CrlVerifyOptions {
  /** The CA that issued the certificate being checked: it must have issued and signed the CRL. */
  readonly issuer: X509Certificate;
  readonly now: Date;
  readonly clockSkewMs: number;
}

const ID_CE_CRL_NUMBER = "2.5.29.20";
const ID_CE_ISSUING_DISTRIBUTION_POINT = "2.5.29.28";
const ID_CE_AUTHORITY_KEY_IDENTIFIER = "2.5.29.35";
const CRL_EXTENSIONS = new Set([
  ID_CE_CRL_NUMBER,
  ID_CE_ISSUING_DISTRIBUTION_POINT,
  ID_CE_AUTHORITY_KEY_IDENTIFIER,
]);

export async function verifyCrl(
  bytes: Uint8Array,
  options: CrlVerifyOptions,
): Promise<RevocationResult<VerifiedCrl>> {
  try {
    return await verifyInOrder(bytes, options);
  } catch (error) {
    // @peculiar/x509 decodes parts lazily: a CRL it chokes on later is malformed, not an exception.
    return failed("malformed", `unreadable CRL: ${String(error)}`);
  }
}

async function verifyInOrder(
  bytes: Uint8Array,
  options: CrlVerifyOptions,
): Promise<RevocationResult<VerifiedCrl>> {
  const parts = splitCrl(isPem(bytes) ? pemToDer(bytes) : bytes);
  if (parts === undefined) return failed("malformed", "not a DER CertificateList");
  let crl: X509Crl;
  try {
    crl = headOf(parts);
  } catch (error) {
    return failed("malformed", `not a CRL: ${String(error)}`);
  }
  if (crl.issuerName.toString() !== options.issuer.subjectName.toString()) {
    return failed("issuer-mismatch", `CRL issuer ${crl.issuer} is not ${options.issuer.subject}`);
  }
  const signed = await crl.verify({ publicKey: options.issuer }).catch(() => false);
  if (!signed) return failed("bad-signature", "the CRL signature does not verify with the issuer's key");
  // RFC 5280 6.3.3 (f): an issuer whose keyUsage is present must assert cRLSign.
  const facts = certFacts(options.issuer);
  const keyUsage = facts.ok ? facts.value.keyUsage : undefined;
  if (!facts.ok || (keyUsage !== undefined && (keyUsage & KeyUsageFlags.cRLSign) === 0)) {
    return failed("unauthorised-signer", "the CRL issuer's key usage does not include cRLSign");
  }
  const scope = readScope(crl);
  if (!scope.ok) return scope;
  const window = checkTimeWindow(crl, options);
  if (!window.ok) return window;
  // Entries are read only once the signature holds: unsigned bytes cost no index.
  const revoked = readRevokedCertificates(parts.revokedCertificates);
  if (!revoked.ok) return revoked;
  return success({
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    revoked: revoked.value,
    scope: scope.value.uris,
    certificates: scope.value.certificates,
  });
}

/**
 * The CRL without its revoked list, parsed in full, whose signature check reads `tbsCertListRaw`: the TBS
 * exactly as received, so the signature covers every entry the walk then reads.
 */
function headOf(parts: CrlParts): X509Crl {
  const asn = AsnConvert.parse(parts.head, CertificateList);
  asn.tbsCertListRaw = new Uint8Array(parts.tbs).buffer;
  return new X509Crl(asn);
}

function pemToDer(bytes: Uint8Array): Uint8Array {
  const [der] = PemConverter.decode(Buffer.from(bytes).toString("ascii"));
  return der === undefined ? new Uint8Array(0) : new Uint8Array(der);
}

/** What `coversCertificate` needs to know about the certificate being checked. */
export interface CrlScopeQuery {
  /** Its own CRL distribution point URIs. */
  readonly distributionPoints: readonly string[];
  /** Its basicConstraints cA (RFC 5280 4.2.1.9); false without the extension. */
  readonly isCa: boolean;
}

/**
 * Whether a verified CRL answers for this certificate. RFC 5280 6.3.3 (b)(2)(i): a CRL scoped by its
 * issuingDistributionPoint to other points is another partition's, validly signed and silent about this
 * certificate; judged against the certificate's own distribution points, not the URL the CRL was fetched
 * from, so a configured mirror (`crlUrl`) serves the same CRL. (b)(2)(ii)-(iii): a CRL with
 * onlyContainsUserCerts is silent about a CA certificate, one with onlyContainsCACerts (an ARL) about an
 * end-entity certificate.
 */
export function coversCertificate(crl: VerifiedCrl, certificate: CrlScopeQuery): RevocationResult<true> {
  if (crl.certificates === "ca" && !certificate.isCa) {
    return failed("unsupported", "the CRL lists only CA certificates (onlyContainsCACerts)");
  }
  if (crl.certificates === "end-entity" && certificate.isCa) {
    return failed("unsupported", "the CRL lists only end-entity certificates (onlyContainsUserCerts)");
  }
  const { distributionPoints } = certificate;
  if (crl.scope.length === 0 || crl.scope.some((uri) => distributionPoints.includes(uri)))
    return success(true);
  const points = distributionPoints.length === 0 ? "it names none" : distributionPoints.join(", ");
  return failed(
    "unsupported",
    `the CRL is scoped to ${crl.scope.join(", ")}, not to the certificate's distribution points (${points})`,
  );
}

/** The revocation state of one serial: a Map lookup. */
export function lookupSerial(crl: VerifiedCrl, serialHex: string): RevokedEntry | undefined {
  return crl.revoked.get(serialHex);
}

function isPem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 10)).toString("ascii") === "-----BEGIN";
}

interface CrlScope {
  readonly uris: readonly string[];
  readonly certificates: CrlCertificates;
}

/**
 * Only a complete CRL for every reason can say "not revoked": delta CRLs (critical deltaCRLIndicator),
 * indirect CRLs, CRLs limited to some reasons or to attribute certificates and any other unknown critical
 * extension are refused (RFC 5280 5.2, 6.3.3). A CRL limited to distribution points, to CA certificates or
 * to end-entity certificates is kept with that scope, which `coversCertificate` checks per certificate.
 */
function readScope(crl: X509Crl): RevocationResult<CrlScope> {
  for (const extension of crl.extensions) {
    if (extension.critical && !CRL_EXTENSIONS.has(extension.type)) {
      return failed("unsupported", `critical CRL extension ${extension.type}`);
    }
  }
  const idpExtension = crl.getExtension(ID_CE_ISSUING_DISTRIBUTION_POINT);
  if (idpExtension === null) return success({ uris: [], certificates: "all" });
  let idp: IssuingDistributionPoint;
  try {
    idp = AsnConvert.parse(idpExtension.value, IssuingDistributionPoint);
  } catch (error) {
    return failed("malformed", `issuingDistributionPoint: ${String(error)}`);
  }
  if (idp.indirectCRL || idp.onlyContainsAttributeCerts || idp.onlySomeReasons) {
    return failed("unsupported", "the CRL covers only part of the reasons, or attribute certificates");
  }
  // RFC 5280 5.2.5: at most one of onlyContainsUserCerts, onlyContainsCACerts, onlyContainsAttributeCerts.
  if (idp.onlyContainsUserCerts && idp.onlyContainsCACerts) {
    return failed("malformed", "issuingDistributionPoint limits the CRL to both CA and user certificates");
  }
  const certificates = idp.onlyContainsCACerts ? "ca" : idp.onlyContainsUserCerts ? "end-entity" : "all";
  const names = idp.distributionPoint;
  if (names !== undefined && names.fullName === undefined) {
    // nameRelativeToCRLIssuer: a scope this service cannot compare with a certificate's URIs.
    return failed("unsupported", "issuingDistributionPoint names a relative distribution point");
  }
  const uris = (names?.fullName ?? []).flatMap((name) => name.uniformResourceIdentifier ?? []);
  if (names?.fullName !== undefined && uris.length === 0) {
    return failed("unsupported", "issuingDistributionPoint names no URI distribution point");
  }
  return success({ uris, certificates });
}

function checkTimeWindow(crl: X509Crl, options: CrlVerifyOptions): RevocationResult<true> {
  const now = options.now.getTime();
  if (crl.thisUpdate.getTime() > now + options.clockSkewMs) {
    return failed("not-yet-valid", `thisUpdate ${crl.thisUpdate.toISOString()} is in the future`);
  }
  const nextUpdate = crl.nextUpdate;
  // RFC 5280 5.1.2.5: conforming CRL issuers MUST include nextUpdate; without it a CRL could be replayed for ever.
  if (nextUpdate === undefined) return failed("malformed", "the CRL has no nextUpdate");
  if (nextUpdate.getTime() < now - options.clockSkewMs) {
    return failed("expired", `nextUpdate ${nextUpdate.toISOString()} has passed`);
  }
  return success(true);
}
