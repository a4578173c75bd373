import { type Denial, deny } from "../../foundation/reasons.js";
import { fail, ok, type Result } from "../../foundation/result.js";
import type { XfccPair } from "./xfcc_header.js";

/**
 * One XFCC element in the shape Envoy gives it. mutateXfccRequestHeader writes `By` (once per URI SAN of
 * its own certificate), `Hash` (always: the peer certificate's SHA-256), then, as configured in
 * `set_current_client_cert_details` and always in this order, `Cert`, `Chain`, `Subject`, `URI` (once per
 * URI SAN of the peer) and `DNS` (once per DNS SAN). It quotes Cert, Chain and Subject and escapes
 * nothing else: a SAN that contains `;` or `,` comes out as extra pairs or extra elements that nobody can
 * tell from Envoy's own. So an element counts only when it could have come out of that code and nothing
 * in it needs a guess: known keys only, in Envoy's order, each single key once, quoting as Envoy quotes,
 * and no raw value holding `"` or `=` (the marks of a SAN that carried a key of its own).
 */
export interface XfccElement {
  readonly by: readonly string[];
  /** Lower-case hex SHA-256 of the certificate the element is about. */
  readonly hash: string;
  /** Percent-encoded PEM, as Envoy writes it. */
  readonly cert: string | undefined;
  readonly chain: string | undefined;
  /** RFC 2253, escapes in place (as Envoy's `source.principal` spells a subject). */
  readonly subject: string | undefined;
  readonly uri: readonly string[];
  readonly dns: readonly string[];
}

type Key = "By" | "Hash" | "Cert" | "Chain" | "Subject" | "URI" | "DNS";

interface KeySpec {
  /** Position in Envoy's order. */
  readonly rank: number;
  /** Written once per SAN, so it may repeat (next to itself). */
  readonly repeats: boolean;
  readonly quoted: boolean;
}

const KEYS: Readonly<Record<Key, KeySpec>> = {
  By: { rank: 0, repeats: true, quoted: false },
  Hash: { rank: 1, repeats: false, quoted: false },
  Cert: { rank: 2, repeats: false, quoted: true },
  Chain: { rank: 3, repeats: false, quoted: true },
  Subject: { rank: 4, repeats: false, quoted: true },
  URI: { rank: 5, repeats: true, quoted: false },
  DNS: { rank: 6, repeats: true, quoted: false },
};

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The element, or CERT_FORWARDED_UNTRUSTED_HOP: part of it was not laid out by the hop. */
export function envoyElement(pairs: readonly XfccPair[], index: number): Result<XfccElement> {
  const values = new Map<Key, string[]>();
  let previous: KeySpec | undefined;
  for (const pair of pairs) {
    if (!isKey(pair.key))
      return fail(ambiguous(index, `a key Envoy does not write (${pair.key.slice(0, 20)})`));
    const spec = KEYS[pair.key];
    const problem = misplaced(pair, spec, previous);
    if (problem !== undefined) return fail(ambiguous(index, problem));
    previous = spec;
    const seen = values.get(pair.key);
    if (seen === undefined) values.set(pair.key, [pair.value]);
    else seen.push(pair.value);
  }
  const hash = values.get("Hash")?.[0];
  if (hash === undefined || !SHA256_HEX.test(hash)) return fail(ambiguous(index, "no SHA-256 Hash"));
  return ok({
    by: values.get("By") ?? [],
    hash,
    cert: values.get("Cert")?.[0],
    chain: values.get("Chain")?.[0],
    subject: values.get("Subject")?.[0],
    uri: values.get("URI") ?? [],
    dns: values.get("DNS") ?? [],
  });
}

function isKey(key: string): key is Key {
  return Object.hasOwn(KEYS, key);
}

/** Why this pair cannot come after `previous`, or undefined. Values are never echoed: they are the client's. */
function misplaced(pair: XfccPair, spec: KeySpec, previous: KeySpec | undefined): string | undefined {
  if (previous !== undefined && (spec.rank < previous.rank || (spec === previous && !spec.repeats)))
    return `${pair.key} out of Envoy's order or repeated`;
  if (spec.quoted !== pair.quoted) return `${pair.key} ${spec.quoted ? "unquoted" : "quoted"}`;
  if (!pair.quoted && /["=]/.test(pair.value)) return `${pair.key} value holds '"' or '='`;
  return undefined;
}

function ambiguous(index: number, problem: string): Denial {
  return deny("CERT_FORWARDED_UNTRUSTED_HOP", `x-forwarded-client-cert element ${index + 1}: ${problem}`);
}
