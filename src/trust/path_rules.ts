import { anyExtendedKeyUsage, id_kp_clientAuth, KeyUsageFlags } from "@peculiar/asn1-x509";
import { type Denial, deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";
import { type CertFacts, isSelfIssued } from "./cert_facts.js";

/**
 * The RFC 5280 §6.1 checks on a path whose signatures already verify: validity of every certificate,
 * the CA rules for every issuer, the TLS-client rules for the leaf. `path` is leaf first, anchor last.
 * Yields the earliest notAfter on the path, past which no verdict about it may be reused.
 */
export function checkPath(path: readonly CertFacts[], now: Date): Result<Date> {
  const [leaf, ...issuers] = path;
  if (leaf === undefined || issuers.length === 0) throw new Error("checkPath needs a leaf and an anchor");
  const leafDenial = leafProblem(leaf, now);
  if (leafDenial !== undefined) return fail(leafDenial);
  for (let position = 1; position < path.length; position++) {
    const problem = issuerProblem(path, position, now);
    if (problem !== undefined) return fail(deny("CERT_CHAIN_INVALID", problem));
  }
  return ok(new Date(Math.min(...path.map((facts) => facts.notAfter.getTime()))));
}

function leafProblem(leaf: CertFacts, now: Date): Denial | undefined {
  // RFC 5280 §4.1.2.5: the validity period includes both notBefore and notAfter.
  if (now.getTime() < leaf.notBefore.getTime()) {
    return deny("CERT_NOT_YET_VALID", `valid from ${leaf.notBefore.toISOString()}`);
  }
  if (now.getTime() > leaf.notAfter.getTime()) {
    return deny("CERT_EXPIRED", `expired at ${leaf.notAfter.toISOString()}`);
  }
  return leafOwnDenial(leaf);
}

/**
 * The leaf rules that need no issuer: a critical extension this verifier does not process (RFC 5280
 * §4.2; a CT precertificate's poison extension, RFC 6962 §3.1, is one) and the TLS-client usage rules.
 * `qwac inspect` applies them without a trust configuration too, so it never calls good what the service
 * refuses.
 */
export function leafOwnDenial(leaf: CertFacts): Denial | undefined {
  const problem = unhandledCriticalProblem(leaf) ?? leafUsageProblem(leaf);
  return problem === undefined ? undefined : deny("CERT_CHAIN_INVALID", `leaf "${leaf.subject}": ${problem}`);
}

/**
 * A CA certificate presented as a TLS client certificate is refused: its key may sign certificates, so
 * accepting it as an identity would let anything it issues inherit that identity's standing.
 *
 * When the leaf restricts its purposes (extKeyUsage), id-kp-clientAuth must be one of them.
 * anyExtendedKeyUsage alone is NOT enough: a QWAC used for PSD2 mutual TLS is issued for TLS client
 * authentication explicitly (ETSI EN 319 412-4, TS 119 495), and RFC 5280 §4.2.1.12 lets an application
 * that needs a specific purpose reject "any". A leaf without extKeyUsage is unrestricted and passes.
 */
function leafUsageProblem(leaf: CertFacts): string | undefined {
  if (leaf.basicConstraints?.ca === true) return "is a CA certificate (basicConstraints cA=true)";
  const eku = leaf.extKeyUsage;
  if (eku !== undefined && !eku.includes(id_kp_clientAuth)) {
    const onlyAny = eku.includes(anyExtendedKeyUsage) ? " (anyExtendedKeyUsage is not accepted)" : "";
    return `extKeyUsage does not include clientAuth${onlyAny}`;
  }
  return undefined;
}

/**
 * The rules for the certificate at `position` as the issuer of the one below it. An anchor is held to
 * the same rules when it carries the extensions; an anchor without basicConstraints (a v1 root) is taken
 * as configured, since RFC 5280 treats an anchor as a name and key, not a certificate to validate.
 */
function issuerProblem(path: readonly CertFacts[], position: number, now: Date): string | undefined {
  const issuer = path[position]!;
  const role = position === path.length - 1 ? "anchor" : "intermediate";
  const what = `${role} "${issuer.subject}"`;
  if (now.getTime() < issuer.notBefore.getTime())
    return `${what} is not valid before ${issuer.notBefore.toISOString()}`;
  if (now.getTime() > issuer.notAfter.getTime()) return `${what} expired at ${issuer.notAfter.toISOString()}`;
  const critical = unhandledCriticalProblem(issuer);
  if (critical !== undefined) return `${what}: ${critical}`;
  const bc = issuer.basicConstraints;
  if (bc === undefined ? role === "intermediate" : !bc.ca)
    return `${what} is not a CA (basicConstraints cA is not true)`;
  // RFC 5280 §4.2.1.3: keyCertSign is what permits verifying certificate signatures with the key.
  if (issuer.keyUsage !== undefined && (issuer.keyUsage & KeyUsageFlags.keyCertSign) === 0) {
    return `${what} keyUsage lacks keyCertSign`;
  }
  if (bc?.pathLength !== undefined) {
    const below = intermediatesBelow(path, position);
    if (below > bc.pathLength)
      return `${what} allows ${bc.pathLength} intermediates below it, path has ${below}`;
  }
  return undefined;
}

/** RFC 5280 §4.2.1.9: self-issued intermediates (key rollover) do not count against pathLenConstraint. */
function intermediatesBelow(path: readonly CertFacts[], position: number): number {
  return path.slice(1, position).filter((facts) => !isSelfIssued(facts)).length;
}

/** The critical extensions a TPP's certificate is known to carry by mistake, named so the TPP can act. */
const KNOWN_CRITICAL: Readonly<Record<string, string>> = {
  // RFC 6962 §3.1: the QTSP's precertificate for Certificate Transparency, not the issued certificate.
  "1.3.6.1.4.1.11129.2.4.3": "CT precertificate poison: this is a precertificate, not the issued certificate",
};

function unhandledCriticalProblem(facts: CertFacts): string | undefined {
  if (facts.unhandledCritical.length === 0) return undefined;
  const named = facts.unhandledCritical.map((oid) =>
    KNOWN_CRITICAL[oid] === undefined ? oid : `${oid} (${KNOWN_CRITICAL[oid]})`,
  );
  return `unsupported critical extension ${named.join(", ")}`;
}
