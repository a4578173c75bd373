import type { X509Certificate } from "@peculiar/x509";
import { TrustedListError } from "./errors.js";
import type { TrustedList, TslPointer } from "./model.js";
import { readSchemeInformationUris } from "./tsl.js";
import { verifyTrustedList } from "./verify_list.js";
import { parseListXml } from "./xml.js";

/** ETSI TS 119 612 §5.3.13 / Annex E: the MimeType of an XML trusted list (PDF ones are not machine-read). */
export const TSL_MIME_TYPE = "application/vnd.etsi.tsl+xml";
const LOTL_TYPE_SUFFIX = "/TSLType/EUlistofthelists";

/** Where list bytes come from (a file, an HTTPS fetch, a disk cache); injected so the core does no I/O. */
export type ListFetcher = (location: string) => Promise<Uint8Array>;

export interface LotlOptions {
  /** Pivot LOTLs followed at most (the EU had 6 between the 2019 and 2026 OJ notices). */
  readonly maxPivots?: number;
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_PIVOTS = 12;

/** The certificates a LOTL announces for signing the next LOTL: those of its own EU pointer. */
export function lotlSignersAnnouncedBy(lotl: TrustedList): X509Certificate[] {
  return lotl.pointers.filter(isLotlPointer).flatMap((p) => [...p.certificates]);
}

export function isLotlPointer(pointer: TslPointer): boolean {
  return pointer.tslType?.endsWith(LOTL_TYPE_SUFFIX) === true;
}

/**
 * Pivot LOTL locations, oldest first. The EC lists them in SchemeInformationURI newest first, as `.xml`
 * URIs, ahead of the Official Journal notice that started the chain (EC "pivot LOTL" explanation page).
 */
export function pivotLocations(schemeInformationUris: readonly string[]): string[] {
  return schemeInformationUris.filter((u) => /\.xml$/i.test(u)).reverse();
}

/**
 * Verifies a LOTL whose signer may have changed since the Official Journal certificates the operator
 * configured: each pivot, oldest first, must be signed by a certificate the previous step trusted, and its
 * EU pointer announces the set for the next step (Implementing Decision (EU) 2015/1505 Annex, and the OJ
 * notices that publish the signing certificates). Pivots older than the configured set are skipped, as DSS
 * skips the pivots before the configured OJ; once a pivot is accepted, every later one must verify.
 */
export async function verifyLotl(
  bytes: Uint8Array,
  source: string,
  ojCertificates: readonly X509Certificate[],
  fetchPivot: ListFetcher,
  options: LotlOptions = {},
): Promise<TrustedList> {
  const maxBytes = options.maxBytes;
  const direct = await tryVerify(bytes, source, ojCertificates, maxBytes);
  if (direct.ok) return direct.list;
  if (direct.error.code !== "SIGNER_NOT_ANNOUNCED") throw direct.error;
  const pivots = unverifiedPivotLocations(bytes, source, maxBytes);
  const maxPivots = options.maxPivots ?? DEFAULT_MAX_PIVOTS;
  if (pivots.length > maxPivots) {
    throw new TrustedListError(
      "PIVOT_CHAIN_BROKEN",
      `${source}: ${pivots.length} pivots, limit ${maxPivots}`,
    );
  }
  let trusted: readonly X509Certificate[] = ojCertificates;
  let started = false;
  for (const location of pivots) {
    const pivot = await tryVerify(
      await fetchTyped(fetchPivot, location, source),
      location,
      trusted,
      maxBytes,
    );
    if (!pivot.ok) {
      if (!started && pivot.error.code === "SIGNER_NOT_ANNOUNCED") continue;
      throw new TrustedListError(
        "PIVOT_CHAIN_BROKEN",
        `${source}: pivot ${location}: ${pivot.error.message}`,
      );
    }
    started = true;
    trusted = lotlSignersAnnouncedBy(pivot.list);
  }
  const final = await tryVerify(bytes, source, trusted, maxBytes);
  if (!final.ok)
    throw new TrustedListError("PIVOT_CHAIN_BROKEN", `${source}: after the pivots: ${final.error.message}`);
  return final.list;
}

/**
 * Reads the pivot URIs before trust is established. Only locations are taken, and only to fetch lists that
 * must then verify on their own, so reading them from a not yet verified document gives nothing away.
 */
function unverifiedPivotLocations(bytes: Uint8Array, source: string, maxBytes: number | undefined): string[] {
  const root = parseListXml(bytes, source, maxBytes).documentElement;
  if (root === null) throw new TrustedListError("NOT_WELL_FORMED", `${source}: no root`);
  return pivotLocations(readSchemeInformationUris(root));
}

/** A fetcher's own failure (a refused connection, a missing file) as a typed refusal naming the pivot. */
async function fetchTyped(fetchPivot: ListFetcher, location: string, source: string): Promise<Uint8Array> {
  try {
    return await fetchPivot(location);
  } catch (error) {
    if (error instanceof TrustedListError) throw error;
    throw new TrustedListError("FETCH_FAILED", `${source}: pivot ${location}: ${String(error)}`);
  }
}

type Attempt =
  | { readonly ok: true; readonly list: TrustedList }
  | { readonly ok: false; readonly error: TrustedListError };

async function tryVerify(
  bytes: Uint8Array,
  source: string,
  announced: readonly X509Certificate[],
  maxBytes: number | undefined,
): Promise<Attempt> {
  try {
    return { ok: true, list: await verifyTrustedList(bytes, source, announced, maxBytes) };
  } catch (error) {
    if (error instanceof TrustedListError) return { ok: false, error };
    // Whatever else a reader throws on hostile bytes is still a refusal of this list, never an escape.
    return { ok: false, error: new TrustedListError("MALFORMED_CONTENT", `${source}: ${String(error)}`) };
  }
}

/** The Member State lists a LOTL points at, filtered to XML lists of the wanted territories. */
export function memberStatePointers(lotl: TrustedList, territories?: ReadonlySet<string>): TslPointer[] {
  return lotl.pointers.filter(
    (p) =>
      !isLotlPointer(p) &&
      p.mimeType === TSL_MIME_TYPE &&
      p.territory !== undefined &&
      (territories === undefined || territories.has(p.territory)),
  );
}

export type TerritoryOutcome =
  | { readonly territory: string; readonly ok: true; readonly list: TrustedList }
  | { readonly territory: string; readonly ok: false; readonly error: TrustedListError };

/**
 * Follows each pointer and accepts the list only if it verifies with a certificate that pointer names and
 * declares the pointer's territory. One territory failing never stops the others.
 */
export async function loadMemberStateLists(
  lotl: TrustedList,
  fetchList: ListFetcher,
  territories?: ReadonlySet<string>,
  maxBytes?: number,
): Promise<TerritoryOutcome[]> {
  const out: TerritoryOutcome[] = [];
  for (const pointer of memberStatePointers(lotl, territories)) {
    const territory = pointer.territory as string;
    out.push(await loadOne(pointer, territory, fetchList, maxBytes));
  }
  return out;
}

async function loadOne(
  pointer: TslPointer,
  territory: string,
  fetchList: ListFetcher,
  maxBytes: number | undefined,
): Promise<TerritoryOutcome> {
  try {
    const bytes = await fetchList(pointer.location);
    const list = await verifyTrustedList(bytes, pointer.location, pointer.certificates, maxBytes);
    if (list.territory !== territory) {
      throw new TrustedListError(
        "NOT_A_TRUST_LIST",
        `${pointer.location}: territory ${list.territory}, pointer says ${territory}`,
      );
    }
    return { territory, ok: true, list };
  } catch (error) {
    if (error instanceof TrustedListError) return { territory, ok: false, error };
    return {
      territory,
      ok: false,
      error: new TrustedListError("FETCH_FAILED", `${pointer.location}: ${String(error)}`),
    };
  }
}
