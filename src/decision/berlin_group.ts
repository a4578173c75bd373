import { type DenyReason, REASONS } from "../reasons.js";

/**
 * The Berlin Group NextGenPSD2 error body. Built once per reason at start: the body depends on the
 * reason only, never on request data, so nothing from the request can be reflected to the client.
 */
const BODIES: Readonly<Record<DenyReason, string>> = Object.fromEntries(
  Object.entries(REASONS).map(([reason, { code, text }]) => [
    reason,
    JSON.stringify({ tppMessages: [{ category: "ERROR", code, text }] }),
  ]),
) as Record<DenyReason, string>;

export function errorBody(reason: DenyReason): string {
  return BODIES[reason];
}

export function httpStatus(reason: DenyReason): number {
  return REASONS[reason].status;
}
