import type { X509Certificate } from "@peculiar/x509";
import type { TrustedList } from "./model.js";
import { verifyListSignature } from "./signature.js";
import { readTrustedList } from "./tsl.js";
import { DEFAULT_MAX_LIST_BYTES, parseListXml } from "./xml.js";

/**
 * Bytes in, a verified list out: parse safely, verify the signature against the certificates the caller
 * trusts for this list, then read the data from the root of the very document that was verified.
 */
export async function verifyTrustedList(
  bytes: Uint8Array,
  source: string,
  announced: readonly X509Certificate[],
  maxBytes = DEFAULT_MAX_LIST_BYTES,
): Promise<TrustedList> {
  const doc = parseListXml(bytes, source, maxBytes);
  const { signer } = await verifyListSignature(doc, source, announced);
  const root = doc.documentElement;
  if (root === null) throw new Error("unreachable: parseListXml returns a document with a root");
  return readTrustedList(root, source, signer);
}
