import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { KeyUsageFlags } from "@peculiar/asn1-x509";
import { X509Certificate } from "@peculiar/x509";
import { ConfigError, readFailure } from "../foundation/config_error.js";
import { type CertFacts, certFacts } from "./cert_facts.js";

/** The QTSP roots and the intermediates the service may use to build a path; immutable once loaded. */
export interface TrustStore {
  readonly anchors: readonly X509Certificate[];
  readonly intermediates: readonly X509Certificate[];
}

/** A certificate that may sit on a path; anchors end a path. */
export interface PathCert {
  readonly cert: X509Certificate;
  readonly facts: CertFacts;
  readonly anchor: boolean;
}

/** Certificates grouped by subject name key, so finding the issuers of a certificate is one lookup. */
export type SubjectIndex = ReadonlyMap<string, readonly PathCert[]>;

export interface StoreIndex {
  readonly anchors: SubjectIndex;
  readonly intermediates: SubjectIndex;
}

const storeIndexes = new WeakMap<TrustStore, StoreIndex>();

/** The index of a store, built once per store object (stores are immutable). */
export function storeIndex(store: TrustStore): StoreIndex {
  let index = storeIndexes.get(store);
  if (index === undefined) {
    index = {
      anchors: indexBySubject(store.anchors, true),
      intermediates: indexBySubject(store.intermediates, false),
    };
    storeIndexes.set(store, index);
  }
  return index;
}

/** Certificates whose facts cannot be decoded are left out: they can be neither issuer nor anchor. */
export function indexBySubject(certs: readonly X509Certificate[], anchor: boolean): SubjectIndex {
  const index = new Map<string, PathCert[]>();
  for (const cert of certs) {
    const facts = certFacts(cert);
    if (!facts.ok) continue;
    const group = index.get(facts.value.subjectKey);
    if (group === undefined) index.set(facts.value.subjectKey, [{ cert, facts: facts.value, anchor }]);
    else group.push({ cert, facts: facts.value, anchor });
  }
  return index;
}

/** Where the trust material lives: each a PEM/DER file or a directory of them. */
export interface TrustStoreSources {
  /** Absent only when the EU trusted lists name the CAs (trust.trustedLists). */
  readonly anchors?: string;
  readonly intermediates?: string;
}

/** The configuration keys the sources came from, so a ConfigError points at the right line. */
export interface TrustStoreKeys {
  readonly anchors: string;
  readonly intermediates: string;
}

const DEFAULT_KEYS: TrustStoreKeys = { anchors: "trust.anchors", intermediates: "trust.intermediates" };

/** File names read from a trust directory; anything else there (README, .srl, keys) is ignored. */
const CERTIFICATE_FILE = new Set([".pem", ".crt", ".cer"]);

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

interface LoadedCertificate {
  readonly cert: X509Certificate;
  readonly file: string;
  readonly label: string;
}

/**
 * Reads and checks the trust material at startup. Fails loudly (ConfigError naming the file and key) on
 * anything an operator would want to know before the first request: a missing or unreadable file, a file
 * without certificates, a block that does not parse, a PEM block that is not a CERTIFICATE, and an anchor
 * or intermediate that cannot issue certificates (not cA=true, or keyUsage without keyCertSign).
 * Expiry is not checked here: it depends on the time of each request.
 */
export function loadTrustStore(sources: TrustStoreSources, keys: TrustStoreKeys = DEFAULT_KEYS): TrustStore {
  const anchors = sources.anchors === undefined ? [] : readCertificates(sources.anchors, keys.anchors);
  const intermediates =
    sources.intermediates === undefined ? [] : readCertificates(sources.intermediates, keys.intermediates);
  for (const loaded of anchors) requireCa(loaded, keys.anchors, "anchor");
  for (const loaded of intermediates) requireCa(loaded, keys.intermediates, "intermediate");
  return trustStoreFromCertificates(
    anchors.map((loaded) => loaded.cert),
    intermediates.map((loaded) => loaded.cert),
  );
}

/**
 * A frozen, indexed store from certificates already in memory, without the CA checks of loadTrustStore
 * (verifyChain applies them per path). Duplicates are dropped.
 */
export function trustStoreFromCertificates(
  anchors: readonly X509Certificate[],
  intermediates: readonly X509Certificate[] = [],
): TrustStore {
  const store: TrustStore = Object.freeze({
    anchors: Object.freeze(unique(anchors)),
    intermediates: Object.freeze(unique(intermediates)),
  });
  storeIndex(store); // index now, not on the first request
  return store;
}

function unique(certs: readonly X509Certificate[]): X509Certificate[] {
  const seen = new Set<string>();
  return certs.filter((cert) => {
    const id = Buffer.from(cert.rawData).toString("base64");
    return !seen.has(id) && seen.add(id);
  });
}

function readCertificates(path: string, key: string): LoadedCertificate[] {
  const files = isDirectory(path, key) ? certificateFiles(path, key) : [path];
  return files.flatMap((file) => readCertificateFile(file, key));
}

function isDirectory(path: string, key: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (error) {
    throw new ConfigError(path, key, `cannot read: ${readFailure(path, error)}`);
  }
}

function certificateFiles(directory: string, key: string): string[] {
  const files = readdirSync(directory)
    .filter((name) => CERTIFICATE_FILE.has(extname(name).toLowerCase()))
    .sort()
    .map((name) => join(directory, name));
  if (files.length === 0) throw new ConfigError(directory, key, "directory holds no .pem, .crt or .cer file");
  return files;
}

function readCertificateFile(file: string, key: string): LoadedCertificate[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ConfigError(file, key, `cannot read: ${readFailure(file, error)}`);
  }
  const text = bytes.toString("latin1");
  const certs = text.includes("-----BEGIN ")
    ? pemCertificates(text, file, key)
    : [derCertificate(bytes, file, key)];
  if (certs.length === 0) throw new ConfigError(file, key, "contains no certificate");
  return certs;
}

function pemCertificates(text: string, file: string, key: string): LoadedCertificate[] {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  const begins = text.split("-----BEGIN ").length - 1;
  if (blocks.length !== begins) throw new ConfigError(file, key, "a PEM block has no matching END line");
  return blocks.map((block, index) => {
    const label = `PEM block #${index + 1}`;
    const [, type = "", body = ""] = block;
    // OpenSSL's "TRUSTED CERTIFICATE" carries trust settings this service would silently ignore.
    if (type !== "CERTIFICATE")
      throw new ConfigError(file, key, `${label} is "${type}", expected CERTIFICATE`);
    if (!BASE64_BODY.test(body)) throw new ConfigError(file, key, `${label} is not valid base64`);
    return { cert: parseCertificate(Buffer.from(body, "base64"), file, key, label), file, label };
  });
}

function derCertificate(bytes: Buffer, file: string, key: string): LoadedCertificate {
  const label = "DER certificate";
  if (bytes[0] !== 0x30) throw new ConfigError(file, key, "contains no certificate (neither PEM nor DER)");
  return { cert: parseCertificate(bytes, file, key, label), file, label };
}

function parseCertificate(der: Buffer, file: string, key: string, label: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (error) {
    throw new ConfigError(
      file,
      key,
      `${label} does not parse as an X.509 certificate: ${systemError(error)}`,
    );
  }
  const facts = certFacts(cert);
  if (!facts.ok) throw new ConfigError(file, key, `${label}: ${facts.error.detail ?? "malformed"}`);
  return cert;
}

function requireCa(loaded: LoadedCertificate, key: string, role: string): void {
  const facts = certFacts(loaded.cert);
  if (!facts.ok) return; // parseCertificate already refused it
  const what = `${loaded.label} ("${facts.value.subject}")`;
  if (facts.value.basicConstraints?.ca !== true) {
    throw new ConfigError(loaded.file, key, `${what} is not a CA: an ${role} needs basicConstraints cA=true`);
  }
  const usage = facts.value.keyUsage;
  if (usage !== undefined && (usage & KeyUsageFlags.keyCertSign) === 0) {
    throw new ConfigError(loaded.file, key, `${what} is not a CA: its keyUsage lacks keyCertSign`);
  }
}

function systemError(error: unknown): string {
  if (error instanceof Error)
    return "code" in error && typeof error.code === "string" ? error.code : error.message;
  return String(error);
}
