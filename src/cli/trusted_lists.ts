import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { X509Certificate } from "@peculiar/x509";
import { TrustedListError } from "../trust/trusted_lists/errors.js";
import { lotlSignersAnnouncedBy, verifyLotl } from "../trust/trusted_lists/lotl.js";
import {
  ASI_WEBSITE_AUTHENTICATION,
  QUALIFIER_QC_FOR_WSA,
  SERVICE_TYPE_CA_QC,
  type TrustedList,
} from "../trust/trusted_lists/model.js";
import { readLotlSigners } from "../trust/trusted_lists/runtime.js";
import { embeddedSigner } from "../trust/trusted_lists/signature.js";
import { readTrustedList } from "../trust/trusted_lists/tsl.js";
import { verifyTrustedList } from "../trust/trusted_lists/verify_list.js";
import { parseListXml } from "../trust/trusted_lists/xml.js";
import { type CommandOutput, EXIT_BAD, EXIT_GOOD } from "./command_output.js";

export interface TrustedListsCommand {
  readonly kind: "trusted-lists";
  /** A list file, or a directory of them (a LOTL with its pivots and TLs). */
  readonly input: string;
  /** PEM of the OJ LOTL signing certificates; without it a LOTL's signer is not checked. */
  readonly signers: string | undefined;
}

interface Entry {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly peek: TrustedList;
}

const LOTL_TYPE = /\/TSLType\/EUlistofthelists$/;
const short = (cert: X509Certificate): string =>
  createHash("sha256").update(new Uint8Array(cert.rawData)).digest("hex").slice(0, 16);
const day = (d: Date | undefined): string => d?.toISOString().slice(0, 19).concat("Z") ?? "none";

/** `qwac trusted-lists`: verify and summarise lists offline (docs/trusted-lists.md). */
export async function runTrustedLists(command: TrustedListsCommand): Promise<CommandOutput> {
  const files = statSync(command.input).isDirectory()
    ? readdirSync(command.input)
        .filter((f) => f.endsWith(".xml"))
        .sort()
        .map((f) => join(command.input, f))
    : [command.input];
  const lines: string[] = [];
  let bad = false;
  const entries: Entry[] = [];
  for (const file of files) {
    try {
      const bytes = new Uint8Array(readFileSync(file));
      const doc = parseListXml(bytes, file);
      const signer = embeddedSigner(doc);
      const root = doc.documentElement;
      if (signer === undefined || root === null)
        throw new TrustedListError("SIGNATURE_MISSING", `${file}: no signer certificate`);
      entries.push({ file, bytes, peek: readTrustedList(root, file, signer) });
    } catch (error) {
      bad = true;
      lines.push(`${basename(file)}: REFUSED ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const lotls = entries
    .filter((e) => LOTL_TYPE.test(e.peek.type))
    .sort((a, b) => b.peek.sequenceNumber - a.peek.sequenceNumber);
  const newest = lotls[0];
  let lotl: TrustedList | undefined;
  if (newest !== undefined) {
    const signers =
      command.signers === undefined ? [newest.peek.signer] : readLotlSigners("--signers", command.signers);
    const pivot = async (location: string): Promise<Uint8Array> => {
      const name = basename(new URL(location).pathname);
      const found = entries.find((e) => basename(e.file) === name);
      if (found === undefined)
        throw new TrustedListError("FETCH_FAILED", `${location}: not in ${command.input}`);
      return found.bytes;
    };
    try {
      lotl = await verifyLotl(newest.bytes, newest.file, signers, pivot);
      const how =
        command.signers === undefined
          ? "signature only (no --signers: signer not checked)"
          : "verified from --signers";
      lines.push(summary(lotl, how));
    } catch (error) {
      bad = true;
      lines.push(
        `${basename(newest.file)}: REFUSED ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  for (const entry of entries.filter((e) => !LOTL_TYPE.test(e.peek.type))) {
    const announced = lotl?.pointers
      .filter((p) => p.territory === entry.peek.territory)
      .flatMap((p) => [...p.certificates]);
    const signers = announced !== undefined && announced.length > 0 ? announced : [entry.peek.signer];
    const how =
      signers === announced
        ? `verified with the LOTL ${lotl?.sequenceNumber} pointer`
        : "signature only (signer not checked against a LOTL)";
    try {
      lines.push(summary(await verifyTrustedList(entry.bytes, entry.file, signers), how));
    } catch (error) {
      bad = true;
      lines.push(
        `${basename(entry.file)}: REFUSED ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { stdout: `${lines.join("\n")}\n`, stderr: "", exitCode: bad ? EXIT_BAD : EXIT_GOOD };
}

function summary(list: TrustedList, how: string): string {
  const head = `${basename(list.source)}: ${list.territory} seq ${list.sequenceNumber} v${list.version}, issued ${day(list.issued)}, next update ${day(list.nextUpdate)}, signer "${list.signer.subject}" sha256 ${short(list.signer)}…, ${how}`;
  if (LOTL_TYPE.test(list.type)) {
    const xml = list.pointers.filter((p) => p.mimeType === "application/vnd.etsi.tsl+xml").length;
    return `${head}\n  ${list.pointers.length} pointers (${xml} XML), announces ${lotlSignersAnnouncedBy(list).length} LOTL signers`;
  }
  const qwacServices = list.providers.flatMap((tsp) =>
    tsp.services
      .filter(
        (s) =>
          s.current.type === SERVICE_TYPE_CA_QC &&
          (s.current.additionalServiceInformation.includes(ASI_WEBSITE_AUTHENTICATION) ||
            s.current.qualifications.some((q) => q.qualifiers.includes(QUALIFIER_QC_FOR_WSA))),
      )
      .map(
        (s) =>
          `  QWAC service: ${tsp.name} / ${s.current.name}: ${s.current.status.split("/").at(-1)} since ${day(s.current.statusStartingTime)}`,
      ),
  );
  return [head, ...qwacServices].join("\n");
}
