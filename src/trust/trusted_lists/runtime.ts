import { readFileSync } from "node:fs";
import { X509Certificate } from "@peculiar/x509";
import { ConfigError, readFailure } from "../../foundation/config_error.js";
import { admittingServiceChanges } from "./changes.js";
import type { TrustedListsConfig } from "./config.js";
import { listFetcher } from "./fetch.js";
import { ListTrust } from "./list_trust.js";
import { TrustedListStore, type TrustedListsView } from "./store.js";

export interface TrustedListsRuntime {
  readonly store: TrustedListStore;
  readonly verifier: ListTrust;
  stop(): void;
}

export interface TrustedListsLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The Official Journal LOTL signing certificates; a file without one is a configuration error. */
export function readLotlSigners(configFile: string, path: string): X509Certificate[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      configFile,
      "trust.trustedLists.lotlSigners",
      `cannot read ${path}: ${readFailure(path, error)}`,
    );
  }
  const certs = (text.match(PEM) ?? []).map((pem) => {
    try {
      return new X509Certificate(pem);
    } catch {
      throw new ConfigError(
        configFile,
        "trust.trustedLists.lotlSigners",
        `${path}: a certificate does not parse`,
      );
    }
  });
  if (certs.length === 0)
    throw new ConfigError(configFile, "trust.trustedLists.lotlSigners", `${path}: no certificate`);
  return certs;
}

/**
 * Start-up: the verified copies on disk first (so the service serves with no network), then a refresh in
 * the background and every refreshSeconds after. Nothing here ever runs on a Check.
 */
export async function startTrustedLists(
  configFile: string,
  config: TrustedListsConfig,
  deps: { readonly now: () => Date; readonly log: TrustedListsLog },
): Promise<TrustedListsRuntime> {
  const signers = readLotlSigners(configFile, config.lotlSigners);
  let previous: TrustedListsView | undefined;
  const store = new TrustedListStore(config, signers, {
    fetch: listFetcher({ timeoutMs: 30_000, maxBytes: config.maxListBytes }),
    now: deps.now,
    onSwap: (view) => {
      logView(view, deps.log);
      for (const change of admittingServiceChanges(previous, view)) {
        deps.log.info({ ...change }, "trusted list: a service that issues QWACs changed");
      }
      previous = view;
    },
  });
  await store.loadFromCache();
  void store.refresh().catch(() => undefined);
  store.start();
  return { store, verifier: new ListTrust(store), stop: () => store.stop() };
}

function logView(view: TrustedListsView, log: TrustedListsLog): void {
  for (const status of view.territories.values()) {
    const fields = {
      territory: status.territory,
      sequence: status.list?.sequenceNumber,
      nextUpdate: status.list?.nextUpdate?.toISOString(),
      usable: status.usable,
      failures: status.failures,
    };
    if (status.lastError !== undefined)
      log.warn({ ...fields, error: status.lastError.code }, status.lastError.message);
    else if (!status.usable) log.warn(fields, "trusted list past NextUpdate + grace: territory fails closed");
  }
}
