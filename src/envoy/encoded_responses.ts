import type { Allow, Decision } from "../decision/decision.js";
import type { HeaderList } from "../decision/identity.js";
import type { ResponseSettings } from "../decision/response_settings.js";
import type { CheckInput } from "../foundation/check_input.js";
import { spoofedHeaders, toCheckResponse } from "./check_response.js";
import type { EncodeCheckResponse } from "./protos.js";

interface EncodedAllow {
  readonly headers: HeaderList;
  readonly bytes: Buffer;
}

/** Stands in for "no TPP" (a public route) as a WeakMap key. */
const PUBLIC: object = Object.freeze({});

/**
 * Decision -> encoded CheckResponse bytes. The common answer, a plain allow for a TPP whose certificate
 * verdict is cached, is byte-for-byte the same on every request: it is encoded once per (settings, TPP)
 * and reused, which takes protobuf encoding and its garbage off the warm path. Everything that varies
 * per request (spoofed identity headers to strip, dry-run and soft-fail marks, denials) is encoded fresh.
 * Keys are the snapshot's settings object and the cached identity object, held weakly, so a reload or a
 * certificate leaving its cache frees the bytes with it.
 */
export class EncodedResponses {
  private readonly allows = new WeakMap<ResponseSettings, WeakMap<object, EncodedAllow>>();

  constructor(private readonly encode: EncodeCheckResponse) {}

  bytes(decision: Decision, input: CheckInput, settings: ResponseSettings): Buffer {
    // Spoofed headers to strip make the answer request-specific; only a plain allow is worth the scan.
    if (
      !isPlainAllow(decision) ||
      spoofedHeaders(input, settings.headerPrefix, decision.identityHeaders).length > 0
    )
      return this.encode(toCheckResponse(decision, input, settings));
    const byTpp = this.forSettings(settings);
    const key: object = decision.tpp ?? PUBLIC;
    const cached = byTpp.get(key);
    // Same identity object and same header list: the same bytes (a dry-run waiver can carry other headers).
    if (cached !== undefined && cached.headers === decision.identityHeaders) return cached.bytes;
    const bytes = this.encode(toCheckResponse(decision, input, settings));
    byTpp.set(key, { headers: decision.identityHeaders, bytes });
    return bytes;
  }

  private forSettings(settings: ResponseSettings): WeakMap<object, EncodedAllow> {
    let byTpp = this.allows.get(settings);
    if (byTpp === undefined) {
      byTpp = new WeakMap();
      this.allows.set(settings, byTpp);
    }
    return byTpp;
  }
}

/** An allow with nothing request-specific in its response: no dry-run waiver, revocation not "unchecked". */
function isPlainAllow(decision: Decision): decision is Allow {
  return decision.allowed && decision.wouldDeny === undefined && decision.revocation?.status !== "unchecked";
}
