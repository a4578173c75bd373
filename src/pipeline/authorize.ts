import type { Allow, Decision, Deny } from "../decision/decision.js";
import type { HeaderList, TppIdentity } from "../decision/identity.js";
import type { CheckInput } from "../foundation/check_input.js";
import type { Denial } from "../foundation/reasons.js";
import { andThen, type Settled } from "../foundation/settled.js";
import { type Policy, type RouteRequirement, safePath } from "../policy/policy.js";
import { PSD2_ROLES, type Psd2Role } from "../qwac/qwac.js";
import { type RevocationStatus, revocationDenial } from "../revocation/revocation.js";
import type { CertificateOrigin, PresentedCertificate } from "../source/decoding/presented_certificate.js";
import type { Gate } from "./gate.js";

/** Envoy route setting (`context_extensions`) that replaces the roles of the policy rule a request matches. */
export const ROLES_EXTENSION = "tpp_roles";

const NO_HEADERS: HeaderList = [];

/** What is known so far about a request, carried into its decision. */
export interface KnownSoFar {
  readonly path?: string;
  readonly route?: RouteRequirement;
  readonly via?: CertificateOrigin;
  readonly tpp?: TppIdentity;
  readonly headers?: HeaderList;
  readonly revocation?: RevocationStatus;
  /** The presented certificate, kept only for a denial before a TPP identity was known. */
  readonly certificate?: PresentedCertificate;
}

/** What is known once the certificate is verified and its revocation status settled. */
interface Checked extends KnownSoFar {
  readonly tpp: TppIdentity;
  readonly revocation: RevocationStatus;
}

/**
 * The pipeline: path -> SNI -> route -> certificate -> QWAC + chain -> revocation -> roles. Certificate
 * problems are reported before route problems so an unauthenticated caller learns nothing about the route
 * table. Every step judges time against the one instant `now`, read once per Check. Synchronous while
 * the verdicts are cached (see settled.ts).
 */
export function authorize(input: CheckInput, gate: Gate, now: Date): Settled<Decision> {
  const path = safePath(input.rawPath);
  if (!path.ok) return denied(path.error, {});
  // The connection asked for a server this listener does not serve: nothing else about it matters.
  const serverName = gate.serverName.check(input);
  if (serverName !== undefined) return denied(serverName, { path: path.value });
  const route = routeFor(input, path.value, gate.policy);
  if (route !== undefined && "kind" in route && route.kind === "public")
    return allowed(route, { path: path.value });
  const known: KnownSoFar = {
    path: path.value,
    route: route !== undefined && "kind" in route ? route : undefined,
  };

  const presented = gate.sources.read(input, now);
  if (presented === undefined) return denied({ reason: "CERT_MISSING" }, known);
  if (!presented.ok) return denied(presented.error, known);
  const via = presented.value.via;
  return andThen(gate.certificates.verify(presented.value, now), (verified) => {
    // Fields spelled out, not spread: `{ ...known }` took a slow generic copy, the costliest line of a warm
    // Check (bench/results.md, "Design measurements").
    if (!verified.ok) {
      const certificate = presented.value;
      return denied(verified.error, { path: known.path, route: known.route, via, certificate });
    }
    const { identity: tpp, headers } = verified.value;
    return andThen(gate.revocation.check(verified.value.revocation, now), (revocation) =>
      permitted(route, { path: known.path, route: known.route, via, tpp, headers, revocation }),
    );
  });
}

/** The last steps, once the certificate is verified and its revocation status known. */
function permitted(route: RouteRequirement | Denial | undefined, checked: Checked): Decision {
  const revoked = revocationDenial(checked.revocation);
  if (revoked !== undefined) return denied(revoked, checked);
  const tpp = checked.tpp;
  if (route === undefined) return denied({ reason: "ROUTE_NOT_ALLOWED" }, checked);
  if (!("kind" in route)) return denied(route, checked);
  if (route.kind === "roles" && !route.anyOf.some((role) => tpp.roles.includes(role))) {
    const detail = `rule ${route.ruleId} needs any of ${route.anyOf.join(",")}`;
    return denied({ reason: "ROLE_NOT_ALLOWED", detail }, checked);
  }
  return allowed(route, checked);
}

/**
 * The route requirement. The policy file decides which methods and paths exist (default deny); an Envoy
 * route's `tpp_roles` then replaces only the roles of the matching rule (docs/policy.md). An extension
 * can neither create a route the policy lacks nor make one public: a mistake in Envoy's config can only
 * narrow access, never open a hole.
 */
function routeFor(input: CheckInput, path: string, policy: Policy): RouteRequirement | Denial | undefined {
  const fromPolicy = policy.match(input.method, path);
  const fromRoute = input.contextExtensions[ROLES_EXTENSION];
  if (fromRoute === undefined || fromPolicy === undefined) return fromPolicy;
  const roles = rolesOfExtension(fromRoute);
  if (roles === undefined) {
    return {
      reason: "ROUTE_NOT_ALLOWED",
      detail: `invalid ${ROLES_EXTENSION} context extension "${fromRoute}"`,
    };
  }
  // A public rule keeps no mode of its own: the route's roles are then enforced.
  const mode = fromPolicy.kind === "roles" ? fromPolicy.mode : "enforce";
  return { kind: "roles", ruleId: `${fromPolicy.ruleId}+envoy-route`, anyOf: roles, mode };
}

/** The roles an extension names, or undefined unless every comma-separated name is a known role. */
function rolesOfExtension(value: string): readonly Psd2Role[] | undefined {
  const roles = value.split(",").map((role) => role.trim());
  const known = roles.filter((role): role is Psd2Role => (PSD2_ROLES as readonly string[]).includes(role));
  return known.length === 0 || known.length !== roles.length ? undefined : known;
}

/** A Deny carrying whatever was known when the request was refused. */
export function denied(denial: Denial, known: KnownSoFar = {}): Deny {
  return {
    allowed: false,
    reason: denial.reason,
    detail: denial.detail,
    route: known.route,
    tpp: known.tpp,
    identityHeaders: known.headers ?? NO_HEADERS,
    revocation: known.revocation,
    certificateVia: known.via,
    path: known.path,
    certificate: known.certificate,
  };
}

function allowed(route: RouteRequirement, known: KnownSoFar): Allow {
  return {
    allowed: true,
    route,
    tpp: known.tpp,
    identityHeaders: known.headers ?? NO_HEADERS,
    revocation: known.revocation,
    certificateVia: known.via,
    path: known.path ?? "",
    wouldDeny: undefined,
  };
}
