import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { IssuedCertificate } from "../../../src/demo/certificate_factory.js";
import { type TslSpec, unsignedTsl } from "../../../src/demo/tsl_document.js";

export {
  ASI,
  type PointerSpec,
  QUALIFIER,
  type QualifierSpec,
  type ServiceSpec,
  STATUS,
  type StateSpec,
  type TslSpec,
} from "../../../src/demo/tsl_document.js";

/**
 * Trust lists of our own (src/demo/tsl_document.ts), signed by xmlsec1 with a XAdES-B enveloped signature
 * of the same profile the real lists use. For what real lists cannot show (withdrawn at issuance, WSA added
 * later, NotQualified, conflicts, territories failing).
 */
const run = promisify(execFile);

/** Signs with xmlsec1 (an independent XML-DSig implementation, so our verifier is not checking itself). */
export async function signedTsl(spec: TslSpec, signer: IssuedCertificate): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), "tl-sign-"));
  try {
    writeFileSync(join(dir, "in.xml"), unsignedTsl(spec, signer.cert));
    writeFileSync(join(dir, "key.pem"), signer.keyPem);
    await run("xmlsec1", [
      "--sign",
      "--privkey-pem",
      join(dir, "key.pem"),
      "--id-attr:Id",
      "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
      "--output",
      join(dir, "out.xml"),
      join(dir, "in.xml"),
    ]);
    return new Uint8Array(readFileSync(join(dir, "out.xml")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
