import { X509Certificate } from "@peculiar/x509";
import { TrustedListError } from "./errors.js";
import type {
  CriteriaList,
  DigitalIdentity,
  Qualification,
  ServiceState,
  TrustedList,
  TrustService,
  TrustServiceProvider,
  TslPointer,
} from "./model.js";
import { NS_ECC, NS_TSL, NS_TSLX, NS_XADES } from "./namespaces.js";
import { at, child, children, elementChildren, text, type XmlElement } from "./xml.js";

/**
 * Reads the list's data from the verified root only, by fixed paths of direct children (ETSI TS 119 612
 * §5). Nothing is found by searching the tree: content placed inside ds:Signature (an ds:Object) is not
 * covered by the enveloped reference and would otherwise be read as if it were signed.
 */
export function readTrustedList(root: XmlElement, source: string, signer: X509Certificate): TrustedList {
  if (root.namespaceURI !== NS_TSL || root.localName !== "TrustServiceStatusList") {
    throw new TrustedListError("NOT_A_TRUST_LIST", `${source}: root is not tsl:TrustServiceStatusList`);
  }
  const info = required(child(root, NS_TSL, "SchemeInformation"), source, "SchemeInformation");
  const version = Number(text(child(info, NS_TSL, "TSLVersionIdentifier")));
  if (version !== 5 && version !== 6) {
    throw new TrustedListError("UNSUPPORTED_VERSION", `${source}: TSLVersionIdentifier ${String(version)}`);
  }
  const providerList = child(root, NS_TSL, "TrustServiceProviderList");
  return {
    source,
    version,
    sequenceNumber: integer(child(info, NS_TSL, "TSLSequenceNumber"), source, "TSLSequenceNumber"),
    type: requiredText(child(info, NS_TSL, "TSLType"), source, "TSLType"),
    territory: requiredText(child(info, NS_TSL, "SchemeTerritory"), source, "SchemeTerritory"),
    schemeOperator: name(child(info, NS_TSL, "SchemeOperatorName")) ?? "",
    issued: date(child(info, NS_TSL, "ListIssueDateTime"), source, "ListIssueDateTime"),
    nextUpdate: optionalDate(at(info, NS_TSL, "NextUpdate", "dateTime"), source, "NextUpdate"),
    schemeInformationUris: uris(child(info, NS_TSL, "SchemeInformationURI")),
    pointers: pointers(info, source),
    providers: providerList
      ? children(providerList, NS_TSL, "TrustServiceProvider").map((p) => provider(p, source))
      : [],
    signer,
  };
}

/** SchemeInformationURI of a list (pivot locations in a LOTL), read by the same fixed path. */
export function readSchemeInformationUris(root: XmlElement): string[] {
  const info = child(root, NS_TSL, "SchemeInformation");
  return info ? uris(child(info, NS_TSL, "SchemeInformationURI")) : [];
}

function provider(el: XmlElement, source: string): TrustServiceProvider {
  const services = at(el, NS_TSL, "TSPServices");
  return {
    name: name(at(el, NS_TSL, "TSPInformation", "TSPName")) ?? "",
    services: services ? children(services, NS_TSL, "TSPService").map((s) => service(s, source)) : [],
  };
}

function service(el: XmlElement, source: string): TrustService {
  const info = required(child(el, NS_TSL, "ServiceInformation"), source, "ServiceInformation");
  const history = child(el, NS_TSL, "ServiceHistory");
  return {
    current: serviceState(info, source),
    identity: identity(child(info, NS_TSL, "ServiceDigitalIdentity"), source),
    history: history
      ? children(history, NS_TSL, "ServiceHistoryInstance").map((h) => serviceState(h, source))
      : [],
  };
}

/** ServiceInformation and ServiceHistoryInstance share these elements (§5.5, §5.6). */
function serviceState(el: XmlElement, source: string): ServiceState {
  const extensions = child(el, NS_TSL, "ServiceInformationExtensions");
  const ext = extensions ? children(extensions, NS_TSL, "Extension") : [];
  return {
    type: requiredText(child(el, NS_TSL, "ServiceTypeIdentifier"), source, "ServiceTypeIdentifier"),
    name: name(child(el, NS_TSL, "ServiceName")) ?? "",
    status: requiredText(child(el, NS_TSL, "ServiceStatus"), source, "ServiceStatus"),
    statusStartingTime: date(child(el, NS_TSL, "StatusStartingTime"), source, "StatusStartingTime"),
    additionalServiceInformation: ext.flatMap((e) =>
      children(e, NS_TSL, "AdditionalServiceInformation").flatMap((a) =>
        optionalList(text(child(a, NS_TSL, "URI"))),
      ),
    ),
    qualifications: ext.flatMap((e) =>
      children(e, NS_ECC, "Qualifications").flatMap((q) =>
        children(q, NS_ECC, "QualificationElement").map((qe) => qualification(qe, source)),
      ),
    ),
  };
}

function qualification(el: XmlElement, source: string): Qualification {
  const qualifiers = child(el, NS_ECC, "Qualifiers");
  return {
    qualifiers: qualifiers
      ? children(qualifiers, NS_ECC, "Qualifier").flatMap((q) =>
          optionalList(q.getAttribute("uri") ?? undefined),
        )
      : [],
    criteria: criteriaList(required(child(el, NS_ECC, "CriteriaList"), source, "CriteriaList")),
  };
}

const KNOWN_CRITERIA = new Set(["KeyUsage", "PolicySet", "CriteriaList", "Description"]);

function criteriaList(el: XmlElement): CriteriaList {
  const assert = el.getAttribute("assert");
  const known = assert === "all" || assert === "atLeastOne" || assert === "none";
  return {
    assert: known ? assert : "all",
    keyUsage: children(el, NS_ECC, "KeyUsage").map(
      (ku) =>
        new Map(
          children(ku, NS_ECC, "KeyUsageBit").map((b) => [b.getAttribute("name") ?? "", text(b) === "true"]),
        ),
    ),
    policySets: children(el, NS_ECC, "PolicySet").map((ps) =>
      children(ps, NS_ECC, "PolicyIdentifier").flatMap((pi) =>
        optionalList(text(child(pi, NS_XADES, "Identifier"))),
      ),
    ),
    nested: children(el, NS_ECC, "CriteriaList").map(criteriaList),
    unsupported:
      !known ||
      elementChildren(el).some((c) => c.namespaceURI !== NS_ECC || !KNOWN_CRITERIA.has(c.localName ?? "")),
  };
}

function identity(el: XmlElement | undefined, source: string): DigitalIdentity {
  const ids = el ? children(el, NS_TSL, "DigitalId") : [];
  return {
    certificates: ids.flatMap((d) =>
      children(d, NS_TSL, "X509Certificate").map((c) => certificate(c, source)),
    ),
    subjectNames: ids.flatMap((d) =>
      children(d, NS_TSL, "X509SubjectName").flatMap((c) => optionalList(text(c))),
    ),
    skis: ids.flatMap((d) =>
      children(d, NS_TSL, "X509SKI").flatMap((c) =>
        optionalList(text(c)).map((b) => Buffer.from(b, "base64").toString("hex")),
      ),
    ),
  };
}

function pointers(info: XmlElement, source: string): TslPointer[] {
  const list = child(info, NS_TSL, "PointersToOtherTSL");
  return list ? children(list, NS_TSL, "OtherTSLPointer").map((p) => pointer(p, source)) : [];
}

function pointer(el: XmlElement, source: string): TslPointer {
  const other = at(el, NS_TSL, "AdditionalInformation");
  const infos = other ? children(other, NS_TSL, "OtherInformation") : [];
  const pick = (ns: string, local: string): string | undefined =>
    infos.map((i) => text(child(i, ns, local))).find((v) => v !== undefined);
  const sdis = child(el, NS_TSL, "ServiceDigitalIdentities");
  const certs = sdis
    ? children(sdis, NS_TSL, "ServiceDigitalIdentity").flatMap((s) => identity(s, source).certificates)
    : [];
  return {
    location: requiredText(child(el, NS_TSL, "TSLLocation"), source, "TSLLocation"),
    territory: pick(NS_TSL, "SchemeTerritory"),
    mimeType: pick(NS_TSLX, "MimeType"),
    tslType: pick(NS_TSL, "TSLType"),
    certificates: certs,
  };
}

function certificate(el: XmlElement, source: string): X509Certificate {
  const b64 = (el.textContent ?? "").replace(/\s+/g, "");
  try {
    return new X509Certificate(Buffer.from(b64, "base64"));
  } catch {
    throw new TrustedListError("MALFORMED_CONTENT", `${source}: an X509Certificate does not parse`);
  }
}

/** Multilingual names (§5.1.4): the English one when present, else the first. */
function name(el: XmlElement | undefined): string | undefined {
  if (el === undefined) return undefined;
  const names = children(el, NS_TSL, "Name");
  const en = names.find((n) => n.getAttribute("xml:lang") === "en");
  return text(en ?? names[0]);
}

function uris(el: XmlElement | undefined): string[] {
  return el ? children(el, NS_TSL, "URI").flatMap((u) => optionalList(text(u))) : [];
}

function optionalList(value: string | undefined): string[] {
  return value === undefined ? [] : [value];
}

function required(el: XmlElement | undefined, source: string, what: string): XmlElement {
  if (el === undefined) throw new TrustedListError("MALFORMED_CONTENT", `${source}: ${what} is missing`);
  return el;
}

function requiredText(el: XmlElement | undefined, source: string, what: string): string {
  const value = text(el);
  if (value === undefined) throw new TrustedListError("MALFORMED_CONTENT", `${source}: ${what} is missing`);
  return value;
}

function integer(el: XmlElement | undefined, source: string, what: string): number {
  const value = Number(requiredText(el, source, what));
  if (!Number.isSafeInteger(value))
    throw new TrustedListError("MALFORMED_CONTENT", `${source}: ${what} is not an integer`);
  return value;
}

function date(el: XmlElement | undefined, source: string, what: string): Date {
  const value = optionalDate(el, source, what);
  if (value === undefined) throw new TrustedListError("MALFORMED_CONTENT", `${source}: ${what} is missing`);
  return value;
}

function optionalDate(el: XmlElement | undefined, source: string, what: string): Date | undefined {
  const value = text(el);
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime()))
    throw new TrustedListError("MALFORMED_CONTENT", `${source}: ${what} is not a date`);
  return parsed;
}
