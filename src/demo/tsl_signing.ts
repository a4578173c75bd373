import { webcrypto } from "node:crypto";
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import { Application, SignedXml } from "xmldsigjs";
import { NS_DS } from "../trust/trusted_lists/namespaces.js";
import type { IssuedCertificate } from "./certificate_factory.js";
import { type TslSpec, unsignedTsl } from "./tsl_document.js";

/** xmldsigjs is typed against the DOM lib; @xmldom/xmldom builds the same objects (as in signature.ts). */
type DsigDocument = ConstructorParameters<typeof SignedXml>[0];
type DsigElement = Parameters<SignedXml["LoadXml"]>[0];
type DsigEngine = Parameters<typeof Application.setEngine>[1];
type XmlDocument = ReturnType<DOMParser["parseFromString"]>;
type XmlElement = NonNullable<XmlDocument["documentElement"]>;

// The same engine the verifier sets (signature.ts): node's WebCrypto, so signing needs no native tool.
Application.setEngine("NodeJS", webcrypto as unknown as DsigEngine);

/**
 * Fills a signature template with xmldsigjs's own digest and canonicalisation code, the code our verifier
 * runs (signature.ts), instead of xmldsigjs's Sign(), which writes a signature of its own shape without
 * the XAdES SignedProperties the profile requires.
 */
class TemplateSignature extends SignedXml {
  /** The DigestValue of each reference, in SignedInfo order, as Verify() will recompute it. */
  async referenceDigests(doc: XmlDocument): Promise<Uint8Array[]> {
    const root = doc.documentElement as unknown as DsigElement;
    const out: Uint8Array[] = [];
    for (const reference of this.XmlSignature.SignedInfo.References.GetIterator()) {
      out.push(await this.DigestReference(root.cloneNode(true) as DsigElement, reference, false));
    }
    return out;
  }

  /** The canonical SignedInfo that Verify() checks the SignatureValue over. */
  signedInfoBytes(): Uint8Array {
    return new TextEncoder().encode(this.TransformSignedInfo(this.document));
  }
}

function signatureElement(doc: XmlDocument): XmlElement {
  const signature = doc.getElementsByTagNameNS(NS_DS, "Signature")[0];
  if (signature === undefined) throw new Error("unreachable: the template has a ds:Signature");
  return signature;
}

/** The template's empty text nodes to fill: each SignedInfo reference's DigestValue, the SignatureValue. */
function slots(signature: XmlElement, name: "DigestValue" | "SignatureValue"): XmlElement[] {
  const within =
    name === "DigestValue"
      ? Array.from(signature.getElementsByTagNameNS(NS_DS, "Reference")).filter(
          (reference) => reference.parentNode === signature.getElementsByTagNameNS(NS_DS, "SignedInfo")[0],
        )
      : [signature];
  return within.flatMap((parent) =>
    Array.from(parent.getElementsByTagNameNS(NS_DS, name)).filter((el) => el.parentNode === parent),
  );
}

function fill(
  signature: XmlElement,
  name: "DigestValue" | "SignatureValue",
  values: readonly string[],
): void {
  const elements = slots(signature, name);
  if (elements.length !== values.length) throw new Error(`unreachable: ${elements.length} ds:${name}`);
  elements.forEach((element, i) => {
    element.textContent = values[i] ?? "";
  });
}

const b64 = (bytes: Uint8Array | ArrayBuffer): string =>
  Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString("base64");

/**
 * A trust list signed in JS, XAdES baseline B enveloped (ETSI TS 119 612 §5.7.1, EN 319 132-1), ECDSA
 * P-256 with SHA-256: no xmlsec1, no network, so `npm start` runs on a fresh machine with node alone.
 */
export async function signTslInJs(spec: TslSpec, signer: IssuedCertificate): Promise<Uint8Array> {
  const doc = new DOMParser().parseFromString(unsignedTsl(spec, signer.cert), "application/xml");
  const signature = signatureElement(doc);
  const template = new TemplateSignature(doc as unknown as DsigDocument);
  template.LoadXml(signature as unknown as DsigElement);
  fill(signature, "DigestValue", (await template.referenceDigests(doc)).map(b64));
  // SignedInfo now holds the digests: load it again so the canonical form is the one that is verified.
  const filled = new TemplateSignature(doc as unknown as DsigDocument);
  filled.LoadXml(signature as unknown as DsigElement);
  const value = await webcrypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    signer.keys.privateKey,
    filled.signedInfoBytes(),
  );
  fill(signature, "SignatureValue", [b64(value)]);
  return new TextEncoder().encode(new XMLSerializer().serializeToString(doc));
}
