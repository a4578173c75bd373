import type { CheckInput } from "./check_input.js";
import type { Allow, Decision, Deny } from "./decision/decision.js";
import type { HeaderList, TppIdentity } from "./decision/identity.js";
import { type Policy, type RouteRequirement, safePath } from "./policy/policy.js";
import { PSD2_ROLES, type Psd2Role } from "./qwac/qwac.js";
import type { Denial } from "./reasons.js";
import { type RevocationChecker, type RevocationStatus, revocationDenial } from "./revocation/revocation.js";
import type { PeerCertificates } from "./source/peer_certificate.js";
import type { CertificateOrigin } from "./source/presented_certificate.js";
import type { VerifiedCertificates } from "./verified_certificates.js";

/** One consistent set of everything a Check needs; swapped as a whole on reload. */
export interface Gate {
  readonly policy: Policy;
  readonly peerCertificates: PeerCertificates;
  readonly certificates: VerifiedCertificates;
  readonly revocation: RevocationChecker;
  readonly now: () => Date;
}

/** Envoy route setting (`context_extensions`) that replaces the policy's roles for that route. */
export const ROLES_EXTENSION = "tpp_roles";

const NO_HEADERS: HeaderList = [];

/**
 * The pipeline: path -> route -> certificate -> QWAC + chain -> revocation -> roles. Certificate problems
 * are reported before route problems so an unauthenticated caller learns nothing about the route table.
 */
export async function authorize(input: CheckInput, gate: Gate): Promise<Decision> {
  const path = safePath(input.rawPath);
  if (!path.ok) return denied(path.denial, undefined);
  const route = routeFor(input, path.value, gate.policy);
  if (route !== undefined && !("reason" in route) && route.kind === "public") {
    return allowed(route, path.value, undefined);
  }

  const presented = gate.peerCertificates.read(input);
  if (presented === undefined) return denied({ reason: "CERT_MISSING" }, path.value);
  if (!presented.ok) return denied(presented.denial, path.value);
  const via = presented.value.via;
  const verified = await gate.certificates.verify(presented.value);
  if (!verified.ok) return denied(verified.denial, path.value, { via });
  const { identity, headers } = verified.value;

  const revocation = await gate.revocation.check(verified.value.revocation, gate.now());
  const revoked = revocationDenial(revocation);
  if (revoked !== undefined) return denied(revoked, path.value, { via, tpp: identity, revocation });

  const context = { via, tpp: identity, revocation };
  if (route === undefined) return denied({ reason: "ROUTE_NOT_ALLOWED" }, path.value, context);
  if ("reason" in route) return denied(route, path.value, context);
  if (route.kind === "roles" && !route.anyOf.some((role) => identity.roles.includes(role))) {
    return denied(
      { reason: "ROLE_NOT_ALLOWED", detail: `rule ${route.ruleId} needs any of ${route.anyOf.join(",")}` },
      path.value,
      context,
    );
  }
  return allowed(route, path.value, { identity, headers, revocation, via });
}

/**
 * The route requirement: an Envoy route's `tpp_roles` wins over the policy file. An extension can only
 * name roles, never make a route public, so a mistake in Envoy's config cannot open a hole.
 */
function routeFor(input: CheckInput, path: string, policy: Policy): RouteRequirement | Denial | undefined {
  const fromRoute = input.contextExtensions[ROLES_EXTENSION];
  if (fromRoute === undefined) return policy.match(input.method, path);
  const roles = fromRoute.split(",").map((role) => role.trim());
  const known = roles.filter((role): role is Psd2Role => (PSD2_ROLES as readonly string[]).includes(role));
  if (known.length === 0 || known.length !== roles.length) {
    return {
      reason: "ROUTE_NOT_ALLOWED",
      detail: `invalid ${ROLES_EXTENSION} context extension "${fromRoute}"`,
    };
  }
  return { kind: "roles", ruleId: "envoy-route", anyOf: known };
}

interface DecisionContext {
  readonly via?: CertificateOrigin;
  readonly tpp?: TppIdentity;
  readonly revocation?: RevocationStatus;
}

function denied(denial: Denial, path: string | undefined, context: DecisionContext = {}): Deny {
  return {
    allowed: false,
    reason: denial.reason,
    detail: denial.detail,
    tpp: context.tpp,
    revocation: context.revocation,
    certificateVia: context.via,
    path,
  };
}

function allowed(
  route: RouteRequirement,
  path: string,
  tpp:
    | { identity: TppIdentity; headers: HeaderList; revocation: RevocationStatus; via: CertificateOrigin }
    | undefined,
): Allow {
  return {
    allowed: true,
    route,
    tpp: tpp?.identity,
    identityHeaders: tpp?.headers ?? NO_HEADERS,
    revocation: tpp?.revocation,
    certificateVia: tpp?.via,
    path,
  };
}
