import { createReadStream } from "node:fs";
import { X509Certificate } from "@peculiar/x509";
import { deny } from "../foundation/reasons.js";
import { fail, ok, type Result } from "../foundation/result.js";
import { derFromBase64, isDerSequence, pemCertificates, percentDecoded } from "../source/decoding/pem.js";

/**
 * What the user handed to `qwac inspect`, decoded: the leaf and any further certificates of a PEM bundle.
 * The forms accepted are the ones an operator copies from somewhere: a PEM file or bundle, DER, bare
 * base64 (an RFC 9440 Client-Cert value), or Envoy's percent-encoded PEM from a log line.
 */
export interface CertificateInput {
  readonly leaf: X509Certificate;
  readonly leafDer: Buffer;
  /** The rest of a PEM bundle: offered as untrusted chain, never as anchors. */
  readonly offered: readonly X509Certificate[];
  readonly format: InputFormat;
}

export type InputFormat = "pem" | "percent-encoded-pem" | "der" | "base64";

/** An input that cannot be read at all (missing file, terminal on stdin): a usage error, not a bad certificate. */
export interface UnreadableInput {
  readonly unreadable: string;
}

/** Far above any certificate bundle; keeps `qwac inspect /dev/zero` from eating the memory. */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** A bundle longer than this is not a certificate chain anyone meant to inspect. */
const MAX_BUNDLE_CERTIFICATES = 16;

export interface InputSources {
  /** stdin as a stream; read only for "-". */
  readonly stdin: AsyncIterable<Buffer | string>;
  readonly stdinIsTerminal: boolean;
}

export async function readCertificateInput(
  source: string,
  io: InputSources,
): Promise<Result<CertificateInput> | UnreadableInput> {
  if (source === "-" && io.stdinIsTerminal) {
    return { unreadable: "- reads the certificate from stdin, but stdin is a terminal" };
  }
  let bytes: Buffer;
  try {
    // A stream for files too: a FIFO (`<(kubectl ...)`) or a device has no size to check beforehand.
    bytes = await readAtMost(source === "-" ? io.stdin : createReadStream(source), MAX_INPUT_BYTES + 1);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { unreadable: `cannot read ${source}: ${code ?? String(error)}` };
  }
  if (bytes.length > MAX_INPUT_BYTES) {
    return fail(deny("CERT_MALFORMED", `input is over ${MAX_INPUT_BYTES} bytes: not a certificate`));
  }
  return decodeCertificates(bytes);
}

/** Stops reading once `limit` bytes arrived, so `qwac inspect /dev/zero` ends. */
async function readAtMost(stream: AsyncIterable<Buffer | string>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    chunks.push(buffer);
    size += buffer.length;
    if (size >= limit) break;
  }
  return Buffer.concat(chunks);
}

/** Bytes in, certificates out; every failure is CERT_MALFORMED with a detail a person can act on. */
export function decodeCertificates(bytes: Buffer): Result<CertificateInput> {
  const decoded = derBlocks(bytes);
  if (!decoded.ok) return decoded;
  const certs: X509Certificate[] = [];
  for (const [index, der] of decoded.value.blocks.entries()) {
    const cert = parseCertificate(der, index);
    if (!cert.ok) return cert;
    certs.push(cert.value);
  }
  const [leaf, ...offered] = certs;
  const [leafDer] = decoded.value.blocks;
  if (leaf === undefined || leafDer === undefined) return fail(deny("CERT_MALFORMED", "no certificate"));
  return ok({ leaf, leafDer, offered, format: decoded.value.format });
}

interface DerBlocks {
  readonly blocks: readonly Buffer[];
  readonly format: InputFormat;
}

function derBlocks(bytes: Buffer): Result<DerBlocks> {
  // PEM and base64 are ASCII; latin1 maps every byte to one character, so DER cannot make this throw.
  const text = bytes.toString("latin1");
  if (text.trim() === "") return fail(deny("CERT_MALFORMED", "the input is empty"));
  if (text.includes("-----BEGIN%20")) return percentEncodedPem(text);
  if (text.includes("-----BEGIN ")) return pemBlocks(text, "pem");
  if (bytes[0] === 0x30) {
    return isDerSequence(bytes)
      ? ok({ blocks: [bytes], format: "der" })
      : fail(deny("CERT_MALFORMED", "DER input is truncated or has trailing bytes"));
  }
  const base64 = text.trim().replace(/^:(.*):$/s, "$1");
  if (base64 !== "" && /^[A-Za-z0-9+/=\s]+$/.test(base64)) {
    const der = derFromBase64(base64);
    return der.ok ? ok({ blocks: [der.value], format: "base64" }) : der;
  }
  return fail(deny("CERT_MALFORMED", "neither PEM, DER nor base64: not a certificate"));
}

function percentEncodedPem(text: string): Result<DerBlocks> {
  const pem = percentDecoded(text.trim());
  if (pem === undefined) return fail(deny("CERT_MALFORMED", "invalid percent-encoding"));
  return pemBlocks(pem, "percent-encoded-pem");
}

function pemBlocks(pem: string, format: InputFormat): Result<DerBlocks> {
  const blocks = pemCertificates(pem, MAX_BUNDLE_CERTIFICATES);
  if (blocks.ok) return ok({ blocks: blocks.value, format });
  const labels = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((match) => match[1]);
  const others = labels.filter((label) => label !== "CERTIFICATE");
  // A key or CSR sent instead of the certificate is the common mistake; say which it was.
  if (!labels.includes("CERTIFICATE") && others.length > 0) {
    return fail(
      deny("CERT_MALFORMED", `no CERTIFICATE block; the input holds: ${[...new Set(others)].join(", ")}`),
    );
  }
  return blocks;
}

function parseCertificate(der: Buffer, index: number): Result<X509Certificate> {
  try {
    return ok(new X509Certificate(der));
  } catch (error) {
    const which = index === 0 ? "the certificate" : `certificate #${index + 1} of the bundle`;
    return fail(deny("CERT_MALFORMED", `${which} does not parse as X.509: ${(error as Error).message}`));
  }
}
