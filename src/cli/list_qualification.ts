import type { X509Certificate } from "@peculiar/x509";
import type { Denial } from "../foundation/reasons.js";
import type { Result } from "../foundation/result.js";
import type { ChainOptions, ChainResult } from "../trust/chain.js";
import type { TrustStore } from "../trust/trust_store.js";
import type { TrustedListsConfig } from "../trust/trusted_lists/config.js";
import { qualificationDenial } from "../trust/trusted_lists/denial.js";
import { TrustedListError } from "../trust/trusted_lists/errors.js";
import { ListTrust } from "../trust/trusted_lists/list_trust.js";
import type { Qualification } from "../trust/trusted_lists/qualification.js";
import { readLotlSigners } from "../trust/trusted_lists/runtime.js";
import { LOTL_TERRITORY, TrustedListStore } from "../trust/trusted_lists/store.js";

/**
 * `inspect --config` with `trust.trustedLists`: the lists as the service has them when it starts with no
 * network (the verified copies in cacheDir, verified again), and the service's own ListTrust deciding.
 * Nothing is fetched: an inspection must not depend on, or wait for, the Commission's servers.
 */
export interface OfflineLists {
  readonly cacheDir: string;
  readonly store: TrustedListStore;
  readonly verifier: ListTrust;
}

export async function loadListsOffline(
  configFile: string,
  config: TrustedListsConfig,
  at: Date,
): Promise<OfflineLists> {
  const signers = readLotlSigners(configFile, config.lotlSigners);
  const offline = async (location: string): Promise<Uint8Array> => {
    throw new TrustedListError("FETCH_FAILED", `${location}: qwac inspect reads only the copies on disk`);
  };
  const store = new TrustedListStore(config, signers, { fetch: offline, now: () => at });
  await store.loadFromCache();
  return { cacheDir: config.cacheDir, store, verifier: new ListTrust(store) };
}

/** One territory's list as loaded from disk. */
export interface LoadedList {
  readonly territory: string;
  readonly sequence: number | null;
  readonly nextUpdate: string | null;
  /** False: missing, refused, or past NextUpdate + grace; its services are not considered. */
  readonly usable: boolean;
  readonly error: string | null;
}

export interface ListsFinding {
  readonly cacheDir: string;
  /** A LOTL verified: the service would be ready (/readyz). */
  readonly ready: boolean;
  readonly lists: readonly LoadedList[];
  readonly qualification: Qualification;
  /** The list's sequence number for the territory that decided. */
  readonly sequence: number | undefined;
  /** The service's denial for this qualification (the same function), undefined when qualified. */
  readonly denial: Denial | undefined;
  /** On no list, but chained to trust.anchors (a private or test PKI): admitted by the anchors. */
  readonly trustedByAnchors: boolean;
  readonly notBefore: Date;
}

/** The chain verdict the service would reach, and the qualification it rests on. */
export async function assessWithLists(
  lists: OfflineLists,
  leaf: X509Certificate,
  anchors: TrustStore,
  options: ChainOptions,
): Promise<{ readonly chain: Result<ChainResult>; readonly finding: ListsFinding }> {
  const { qualification, chain } = await lists.verifier.assess(leaf, anchors, options);
  const view = lists.store.view;
  const trustedByAnchors = !qualification.listed && chain.ok;
  const decided = qualification.listed ? view.territories.get(qualification.territory) : undefined;
  return {
    chain,
    finding: {
      cacheDir: lists.cacheDir,
      ready: view.ready,
      lists: [...view.territories.values()]
        .map((status) => ({
          territory: status.territory,
          sequence: status.list?.sequenceNumber ?? null,
          nextUpdate: status.list?.nextUpdate?.toISOString() ?? null,
          usable: status.usable,
          error: status.lastError?.message ?? null,
        }))
        .sort((a, b) => order(a.territory) - order(b.territory) || a.territory.localeCompare(b.territory)),
      qualification,
      sequence: decided?.list?.sequenceNumber,
      denial: trustedByAnchors ? undefined : qualificationDenial(qualification, leaf.subject),
      trustedByAnchors,
      notBefore: leaf.notBefore,
    },
  };
}

/** The LOTL first, then the Member States alphabetically. */
const order = (territory: string): number => (territory === LOTL_TERRITORY ? 0 : 1);
