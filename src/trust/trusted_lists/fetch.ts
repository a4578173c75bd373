import { readFile } from "node:fs/promises";
import { TrustedListError } from "./errors.js";
import type { ListFetcher } from "./lotl.js";

export interface FetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/**
 * Fetches a list from an https URL (http only where a pointer says so: the signature, not the transport,
 * is what makes a list trustworthy) or reads it from a file path. The size cap is enforced while reading,
 * so a hostile server cannot make us buffer more than one list's worth.
 */
export function listFetcher(options: FetchOptions): ListFetcher {
  return async (location) => {
    if (!/^https?:\/\//i.test(location)) return new Uint8Array(await readFile(location));
    const response = await fetch(location, {
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: "follow",
    });
    if (!response.ok || response.body === null) {
      throw new TrustedListError("FETCH_FAILED", `${location}: HTTP ${response.status}`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of response.body) {
      total += chunk.byteLength;
      if (total > options.maxBytes)
        throw new TrustedListError("TOO_LARGE", `${location}: over ${options.maxBytes} bytes`);
      chunks.push(chunk);
    }
    return new Uint8Array(Buffer.concat(chunks));
  };
}
