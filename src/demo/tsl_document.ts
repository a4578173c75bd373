import { createHash } from "node:crypto";
import type { X509Certificate } from "@peculiar/x509";

/**
 * Trust lists of our own in ETSI TS 119 612 v6 structure, for the demo (signed in JS, src/demo/tsl_signing.ts)
 * and the tests (signed by xmlsec1, test/trust/trusted_lists/tl_builder.ts): what real lists cannot show.
 */
const TS = "http://uri.etsi.org/TrstSvc/";
export const STATUS = (s: string): string => `${TS}TrustedList/Svcstatus/${s}`;
export const ASI = (s: "ForWebSiteAuthentication" | "ForeSeals" | "ForeSignatures"): string =>
  `${TS}TrustedList/SvcInfoExt/${s}`;
export const QUALIFIER = (s: string): string => `${TS}TrustedList/SvcInfoExt/${s}`;

export interface QualifierSpec {
  readonly qualifiers: readonly string[];
  readonly assert?: "all" | "atLeastOne" | "none";
  readonly policies?: readonly string[];
  readonly keyUsage?: Readonly<Record<string, boolean>>;
}

export interface StateSpec {
  readonly name?: string;
  readonly type?: string;
  readonly status: string;
  readonly since: Date;
  readonly asi?: readonly string[];
  readonly qualifications?: readonly QualifierSpec[];
}

export interface ServiceSpec extends StateSpec {
  readonly name: string;
  readonly ca: X509Certificate;
  /** More X509Certificates in the same DigitalIdentity (re-issued CA certificates). */
  readonly alsoCertificates?: readonly X509Certificate[];
  readonly history?: readonly StateSpec[];
}

export interface PointerSpec {
  readonly location: string;
  readonly territory: string;
  readonly signers: readonly X509Certificate[];
  readonly lotl?: boolean;
}

export interface TslSpec {
  readonly territory: string;
  readonly sequence: number;
  readonly issued: Date;
  readonly nextUpdate: Date;
  readonly providers?: readonly { readonly name: string; readonly services: readonly ServiceSpec[] }[];
  readonly pointers?: readonly PointerSpec[];
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const b64 = (c: X509Certificate): string => Buffer.from(c.rawData).toString("base64");
const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

function qualificationsXml(qs: readonly QualifierSpec[]): string {
  if (qs.length === 0) return "";
  const elements = qs.map((q) => {
    const ku = q.keyUsage
      ? `<ecc:KeyUsage>${Object.entries(q.keyUsage)
          .map(([n, v]) => `<ecc:KeyUsageBit name="${n}">${String(v)}</ecc:KeyUsageBit>`)
          .join("")}</ecc:KeyUsage>`
      : "";
    const ps = q.policies
      ? `<ecc:PolicySet>${q.policies.map((p) => `<ecc:PolicyIdentifier><xades:Identifier>${p}</xades:Identifier></ecc:PolicyIdentifier>`).join("")}</ecc:PolicySet>`
      : "";
    return `<ecc:QualificationElement><ecc:Qualifiers>${q.qualifiers.map((u) => `<ecc:Qualifier uri="${u}"/>`).join("")}</ecc:Qualifiers><ecc:CriteriaList assert="${q.assert ?? "all"}">${ku}${ps}</ecc:CriteriaList></ecc:QualificationElement>`;
  });
  return `<Extension Critical="true"><ecc:Qualifications>${elements.join("")}</ecc:Qualifications></Extension>`;
}

function stateXml(s: StateSpec, name: string, identity: string): string {
  const asi = (s.asi ?? [])
    .map(
      (u) =>
        `<Extension Critical="false"><AdditionalServiceInformation><URI xml:lang="en">${u}</URI></AdditionalServiceInformation></Extension>`,
    )
    .join("");
  const ext = asi + qualificationsXml(s.qualifications ?? []);
  return `<ServiceTypeIdentifier>${s.type ?? `${TS}Svctype/CA/QC`}</ServiceTypeIdentifier><ServiceName><Name xml:lang="en">${esc(s.name ?? name)}</Name></ServiceName>${identity}<ServiceStatus>${s.status}</ServiceStatus><StatusStartingTime>${iso(s.since)}</StatusStartingTime>${ext ? `<ServiceInformationExtensions>${ext}</ServiceInformationExtensions>` : ""}`;
}

function serviceXml(s: ServiceSpec): string {
  const ids = [s.ca, ...(s.alsoCertificates ?? [])].map(
    (c) => `<DigitalId><X509Certificate>${b64(c)}</X509Certificate></DigitalId>`,
  );
  const identity = `<ServiceDigitalIdentity>${ids.join("")}</ServiceDigitalIdentity>`;
  const history = (s.history ?? [])
    .map((h) => `<ServiceHistoryInstance>${stateXml(h, s.name, identity)}</ServiceHistoryInstance>`)
    .join("");
  return `<TSPService><ServiceInformation>${stateXml(s, s.name, identity)}</ServiceInformation>${history ? `<ServiceHistory>${history}</ServiceHistory>` : ""}</TSPService>`;
}

function pointerXml(p: PointerSpec): string {
  const ids = p.signers
    .map(
      (c) =>
        `<ServiceDigitalIdentity><DigitalId><X509Certificate>${b64(c)}</X509Certificate></DigitalId></ServiceDigitalIdentity>`,
    )
    .join("");
  const type = p.lotl ? `${TS}TrustedList/TSLType/EUlistofthelists` : `${TS}TrustedList/TSLType/EUgeneric`;
  return `<OtherTSLPointer><ServiceDigitalIdentities>${ids}</ServiceDigitalIdentities><TSLLocation>${esc(p.location)}</TSLLocation><AdditionalInformation><OtherInformation><TSLType>${type}</TSLType></OtherInformation><OtherInformation><SchemeTerritory>${p.territory}</SchemeTerritory></OtherInformation><OtherInformation><tslx:MimeType>application/vnd.etsi.tsl+xml</tslx:MimeType></OtherInformation></AdditionalInformation></OtherTSLPointer>`;
}

/**
 * The document to sign: the list, then a ds:Signature template (empty DigestValues and SignatureValue) of
 * the XAdES baseline B enveloped profile the verifier requires (src/trust/trusted_lists/signature.ts):
 * exclusive C14N, a whole-document reference with enveloped-signature + exclusive C14N, a reference to the
 * SignedProperties, ECDSA with SHA-256, the signer's certificate in KeyInfo and SigningCertificateV2.
 */
export function unsignedTsl(spec: TslSpec, signer: X509Certificate): string {
  const providers = (spec.providers ?? [])
    .map(
      (p) =>
        `<TrustServiceProvider><TSPInformation><TSPName><Name xml:lang="en">${esc(p.name)}</Name></TSPName></TSPInformation><TSPServices>${p.services.map(serviceXml).join("")}</TSPServices></TrustServiceProvider>`,
    )
    .join("");
  const pointers = spec.pointers?.length
    ? `<PointersToOtherTSL>${spec.pointers.map(pointerXml).join("")}</PointersToOtherTSL>`
    : "";
  const certDigest = createHash("sha256").update(new Uint8Array(signer.rawData)).digest("base64");
  return `<?xml version="1.0" encoding="UTF-8"?>
<TrustServiceStatusList xmlns="http://uri.etsi.org/02231/v2#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:tslx="http://uri.etsi.org/02231/v2/additionaltypes#" xmlns:ecc="http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#" xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Id="tsl" TSLTag="http://uri.etsi.org/19612/TSLTag"><SchemeInformation><TSLVersionIdentifier>6</TSLVersionIdentifier><TSLSequenceNumber>${spec.sequence}</TSLSequenceNumber><TSLType>${TS}TrustedList/TSLType/EUgeneric</TSLType><SchemeOperatorName><Name xml:lang="en">Test scheme operator ${spec.territory}</Name></SchemeOperatorName><SchemeTerritory>${spec.territory}</SchemeTerritory>${pointers}<ListIssueDateTime>${iso(spec.issued)}</ListIssueDateTime><NextUpdate><dateTime>${iso(spec.nextUpdate)}</dateTime></NextUpdate></SchemeInformation>${providers ? `<TrustServiceProviderList>${providers}</TrustServiceProviderList>` : ""}<ds:Signature Id="sig"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/><ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference><ds:Reference Type="http://uri.etsi.org/01903#SignedProperties" URI="#sp"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${b64(signer)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo><ds:Object><xades:QualifyingProperties Target="#sig"><xades:SignedProperties Id="sp"><xades:SignedSignatureProperties><xades:SigningTime>${iso(spec.issued)}</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>${certDigest}</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object></ds:Signature></TrustServiceStatusList>`;
}
