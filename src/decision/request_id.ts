import { randomUUID } from "node:crypto";
import { headerSafe } from "./identity.js";

/**
 * X-Request-ID is mandatory in NextGenPSD2 (a UUID the TPP chooses) and is what a TPP quotes in a ticket,
 * so the TPP's own value is kept. Only a request without one gets a fresh UUID, so the log line and the
 * denial still share an id. Envoy (preserve_external_request_id) and the documented nginx block pass the
 * TPP's id through; the warm path pays only for the emptiness test.
 */
export function requestIdOr(id: string | undefined): string {
  return id === undefined || id === "" ? randomUUID() : id;
}

/** The longest id echoed back: a UUID is 36 characters; anything longer is cut, never reflected whole. */
const MAX_ECHOED = 200;

/** The id as a denial echoes it: visible ASCII only (percent-encoded otherwise), bounded in length. */
export function echoedRequestId(id: string): string {
  return /^[\x21-\x7e]{1,200}$/.test(id) ? id : headerSafe(id.slice(0, MAX_ECHOED)).slice(0, MAX_ECHOED * 3);
}
