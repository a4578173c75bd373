import { DOMParser } from "@xmldom/xmldom";
import { TrustedListError } from "./errors.js";

/**
 * The German TL is over 4 MiB (the largest EU list); 16 MiB leaves room for growth while bounding what a
 * hostile or broken download can make us parse.
 */
export const DEFAULT_MAX_LIST_BYTES = 16 * 1024 * 1024;

/** The DOM as @xmldom/xmldom types it; xmldsigjs reads the same objects. */
export type XmlDocument = ReturnType<DOMParser["parseFromString"]>;
export type XmlElement = NonNullable<XmlDocument["documentElement"]>;

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

function withoutBom(bytes: Uint8Array): Uint8Array {
  const bom = bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
  return bom ? bytes.subarray(3) : bytes;
}

/**
 * Parses a list safely: size cap first, UTF-8 only (ETSI TS 119 612 §6.1 mandates UTF-8), a UTF-8 BOM
 * tolerated (some scheme operators publish one), and no DTD at all. A trust list never needs a DTD, and a
 * DTD is where entity expansion and external entities (XXE) come from, so any `<!DOCTYPE` is refused
 * before the parser runs rather than trusting the parser to ignore it.
 */
export function parseListXml(
  bytes: Uint8Array,
  source: string,
  maxBytes = DEFAULT_MAX_LIST_BYTES,
): XmlDocument {
  if (bytes.byteLength > maxBytes) {
    throw new TrustedListError("TOO_LARGE", `${source}: ${bytes.byteLength} bytes, limit ${maxBytes}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(withoutBom(bytes));
  } catch {
    throw new TrustedListError("NOT_WELL_FORMED", `${source}: not UTF-8`);
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new TrustedListError("DTD_FORBIDDEN", `${source}: a DTD or entity declaration is not allowed`);
  }
  const problems: string[] = [];
  const parser = new DOMParser({
    onError: (level: string, message: string) => {
      if (level !== "warning") problems.push(message);
    },
  });
  let doc: XmlDocument;
  try {
    doc = parser.parseFromString(text, "application/xml");
  } catch (error) {
    throw new TrustedListError("NOT_WELL_FORMED", `${source}: ${String(error)}`);
  }
  if (problems.length > 0 || !doc.documentElement) {
    throw new TrustedListError("NOT_WELL_FORMED", `${source}: ${problems[0] ?? "no root element"}`);
  }
  return doc;
}

/** Element children only (text, comments and processing instructions are never data in a TSL). */
export function elementChildren(parent: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === 1) out.push(node as XmlElement);
  }
  return out;
}

/** Direct children with this namespace and local name: the only way the list's data is read (no search). */
export function children(parent: XmlElement, ns: string, name: string): XmlElement[] {
  return elementChildren(parent).filter((el) => el.namespaceURI === ns && el.localName === name);
}

export function child(parent: XmlElement, ns: string, name: string): XmlElement | undefined {
  return children(parent, ns, name)[0];
}

/** Follows a fixed path of direct children; undefined when any step is missing. */
export function at(parent: XmlElement, ns: string, ...path: string[]): XmlElement | undefined {
  let cur: XmlElement | undefined = parent;
  for (const name of path) {
    if (cur === undefined) return undefined;
    cur = child(cur, ns, name);
  }
  return cur;
}

export function text(el: XmlElement | undefined): string | undefined {
  const value = el?.textContent?.trim();
  return value === undefined || value === "" ? undefined : value;
}
