import {
  type BareItem,
  type Dictionary,
  type InnerList,
  type Item,
  type Parameters,
  parseDictionary,
  serializeInnerList,
} from "structured-headers";
import { ok, type Result } from "../../../foundation/result.js";
import { signatureFailure } from "./signature_denial.js";

/** One signature as the hop sent it: RFC 9421 §4.1 (Signature-Input) and §4.2 (Signature), one label. */
export interface SignatureFields {
  /** Component names in the signer's order: derived ones start with `@`, fields are lower-case. */
  readonly covered: readonly string[];
  /** The `@signature-params` value: the member re-serialized (RFC 8941 serialization is canonical). */
  readonly signatureParams: string;
  readonly created: number;
  readonly keyid: string;
  readonly alg: string | undefined;
  readonly expires: number | undefined;
  readonly nonce: string | undefined;
  readonly signature: Buffer;
}

/** Bounds the structured-field parser's work on each request; a real pair is a few hundred bytes. */
export const MAX_SIGNATURE_FIELD_BYTES = 8192;
/** A nonce is remembered until its signature expires, so its size is bounded too. */
export const MAX_NONCE_LENGTH = 256;

/**
 * The signature under `label`, undefined when neither field has that label (another party's signature,
 * or none at all). Everything that cannot be read is FORWARDED_SIGNATURE_MALFORMED: a trusted hop that
 * sends fields we cannot parse is misconfigured, and guessing what it meant is not verification.
 */
export function readSignatureFields(
  inputField: string | undefined,
  signatureField: string | undefined,
  label: string,
): Result<SignatureFields> | undefined {
  // Signature-Input decides whether the hop signed at all: without our label there, a `Signature` header
  // is someone else's (a TPP's own Berlin Group `Signature`, which is not a structured field) and is
  // left alone rather than judged malformed.
  if (!inputField) return undefined;
  const inputs = dictionary(inputField, "Signature-Input");
  if (!inputs.ok) return inputs;
  const input = inputs.value.get(label);
  if (input === undefined) return undefined;
  const signatures = dictionary(signatureField, "Signature");
  if (!signatures.ok) return signatures;
  const signature = signatures.value.get(label);
  if (signature === undefined) return malformed(`Signature-Input has "${label}" but Signature does not`);
  if (!isInnerList(input)) return malformed(`Signature-Input "${label}" is not an inner list`);
  if (isInnerList(signature) || !(signature[0] instanceof ArrayBuffer))
    return malformed(`Signature "${label}" is not a byte sequence`);
  const covered = coveredComponents(input[0]);
  if (!covered.ok) return covered;
  const params = signatureParameters(input[1]);
  if (!params.ok) return params;
  return ok({
    covered: covered.value,
    signatureParams: serializeInnerList(input),
    ...params.value,
    signature: Buffer.from(signature[0]),
  });
}

function dictionary(field: string | undefined, name: string): Result<Dictionary> {
  if (!field) return ok(new Map());
  if (field.length > MAX_SIGNATURE_FIELD_BYTES)
    return malformed(`${name} over ${MAX_SIGNATURE_FIELD_BYTES} bytes`);
  try {
    return ok(parseDictionary(field));
  } catch {
    return malformed(`${name} is not a structured-field dictionary`);
  }
}

function isInnerList(member: Item | InnerList): member is InnerList {
  return Array.isArray(member[0]);
}

/**
 * RFC 9421 §2: each component identifier is a String; a field name is lower-case; none appears twice
 * (§3.1, so a signer cannot make one line of the base stand for two). Component parameters (`sf`, `key`,
 * `bs`, `req`, `tr`, `name`) change how a value is derived; this verifier implements none of them and
 * refuses a signature that uses one rather than check something else than what was signed.
 */
function coveredComponents(items: readonly Item[]): Result<string[]> {
  const names: string[] = [];
  for (const [name, parameters] of items) {
    if (typeof name !== "string") return malformed("a covered component is not a string");
    if (parameters.size > 0) return malformed(`component "${name}" has parameters, which are not supported`);
    if (!/^@?[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return malformed(`"${name}" is not a component name`);
    if (name === "@signature-params") return malformed("@signature-params cannot be covered");
    if (names.includes(name)) return malformed(`component "${name}" is covered twice`);
    names.push(name);
  }
  return ok(names);
}

type Params = Pick<SignatureFields, "created" | "keyid" | "alg" | "expires" | "nonce">;

/**
 * RFC 9421 §2.3. `created` and `keyid` are required here (the RFC leaves them optional): without
 * `created` no age can be enforced, and without `keyid` rotation cannot work. Other parameters (`tag`,
 * extensions) are covered by the signature through @signature-params and otherwise ignored.
 */
function signatureParameters(parameters: Parameters): Result<Params> {
  const created = integer(parameters.get("created"));
  if (created === undefined) return malformed("created is missing or not an integer");
  const keyid = parameters.get("keyid");
  if (typeof keyid !== "string" || keyid === "") return malformed("keyid is missing or not a string");
  const alg = parameters.get("alg");
  if (alg !== undefined && typeof alg !== "string") return malformed("alg is not a string");
  const expiresItem = parameters.get("expires");
  const expires = integer(expiresItem);
  if (expiresItem !== undefined && expires === undefined) return malformed("expires is not an integer");
  const nonce = parameters.get("nonce");
  if (nonce !== undefined && (typeof nonce !== "string" || nonce.length > MAX_NONCE_LENGTH))
    return malformed(`nonce is not a string of at most ${MAX_NONCE_LENGTH} characters`);
  return ok({ created, keyid, alg, expires, nonce });
}

function integer(value: BareItem | undefined): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) ? value : undefined;
}

function malformed(detail: string): Result<never> {
  return signatureFailure("FORWARDED_SIGNATURE_MALFORMED", detail);
}
