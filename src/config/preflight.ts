import { lookup } from "node:dns/promises";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { dirname } from "node:path";
import { ConfigError } from "../foundation/config_error.js";
import { folderInTheWay } from "../ops/audit_log.js";
import { type ListenTarget, listenProblem } from "../ops/listen_failure.js";
import type { Config } from "./config.js";

/**
 * What `qwac check-config` can tell about a start without starting: a listen host that is no address of
 * this machine or does not resolve, an audit file whose folder cannot be made or written. The service
 * itself learns these from bind and open (ops/listen_failure.ts, AuditLog.open) with the same keys and
 * words; a port in use can only be learnt by binding, so it is not checked here.
 */
export async function preflight(config: Config): Promise<ConfigError[]> {
  const listeners: ListenTarget[] = [{ configFile: config.file, section: "listen", ...config.listen }];
  if (config.http.enabled) listeners.push({ configFile: config.file, section: "http", ...config.http });
  if (config.metrics.enabled)
    listeners.push({ configFile: config.file, section: "metrics", ...config.metrics });
  const problems: ConfigError[] = [];
  for (const target of listeners) {
    const code = await hostProblem(target.host);
    if (code !== undefined) problems.push(listenProblem(target, code));
  }
  const audit = config.audit.file === undefined ? undefined : auditProblem(config.audit.file);
  if (audit !== undefined) problems.push(new ConfigError(config.file, "audit.file", audit));
  return problems;
}

async function hostProblem(host: string): Promise<"ENOTFOUND" | "EADDRNOTAVAIL" | undefined> {
  const addresses = isIP(host) === 0 ? await resolved(host) : [host];
  if (addresses === undefined) return "ENOTFOUND";
  const local = localAddresses();
  return addresses.some((address) => local.has(address)) ? undefined : "EADDRNOTAVAIL";
}

async function resolved(host: string): Promise<string[] | undefined> {
  try {
    return (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    return undefined;
  }
}

/** Every address a listener can bind here, including the wildcard ones. */
function localAddresses(): Set<string> {
  const addresses = new Set(["0.0.0.0", "::"]);
  for (const entries of Object.values(networkInterfaces()))
    for (const entry of entries ?? []) addresses.add(entry.address);
  return addresses;
}

/** The nearest folder that exists must be a folder this process may write in (it creates the rest). */
function auditProblem(file: string): string | undefined {
  let folder = dirname(file);
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  if (!statSync(folder).isDirectory()) return folderInTheWay(dirname(file));
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    return `cannot create ${file}: ${folder} is not writable (EACCES)`;
  }
  if (existsSync(file)) {
    try {
      accessSync(file, constants.W_OK);
    } catch {
      return `cannot create ${file}: not writable (EACCES)`;
    }
  }
  return undefined;
}
