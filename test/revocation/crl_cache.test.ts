import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IssuedCertificate, issueCertificate } from "../../src/demo/certificate_factory.js";
import { createRevocationChecker } from "../../src/revocation/checker.js";
import { revocationConfigSchema } from "../../src/revocation/config.js";
import type { RevocationEvent } from "../../src/revocation/events.js";
import type { RevocationSubject } from "../../src/revocation/revocation.js";
import { prepareSubject } from "../../src/revocation/subject.js";
import { listenOnLoopback } from "../support/ports.js";

/**
 * A CRL server that accepts and never answers: every request is held open until the test closes the
 * server. Counts the requests it received.
 */
class HangingServer {
  readonly #server: Server;
  readonly #held = new Set<ServerResponse>();
  readonly #waiters: { readonly count: number; readonly resolve: () => void }[] = [];
  requests = 0;
  url = "";

  constructor() {
    this.#server = createServer((_request: IncomingMessage, response: ServerResponse) => {
      this.requests++;
      this.#held.add(response);
      for (const waiter of this.#waiters) if (this.requests >= waiter.count) waiter.resolve();
    });
  }

  /** Resolves once `count` requests have arrived (bounded by the test's timeout). */
  received(count: number): Promise<void> {
    if (this.requests >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async start(): Promise<void> {
    const port = await listenOnLoopback(this.#server);
    this.url = `http://127.0.0.1:${port}/hang/ca.crl`;
  }

  async close(): Promise<void> {
    for (const response of this.#held) response.destroy();
    this.#held.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const NEGATIVE_TTL_SECONDS = 1;
/** Longer than the negative TTL, as with the defaults (10 s against 5 s). */
const CRL_FETCH_TIMEOUT_MS = 1_500;

let server: HangingServer;
let ca: IssuedCertificate;

beforeAll(async () => {
  server = new HangingServer();
  await server.start();
  ca = await issueCertificate({ subject: "CN=Hanging CRL CA, O=QTSP, C=FR", isCa: true });
});

afterAll(async () => {
  await server?.close();
});

async function leafSubject(name: string): Promise<RevocationSubject> {
  const leaf = await issueCertificate({
    subject: `CN=${name}, O=TPP, C=FR`,
    issuer: ca,
    crlDistributionPointUrl: server.url,
  });
  const subject = prepareSubject(leaf.cert, ca.cert);
  if (!subject.ok) throw new Error(subject.error.detail);
  return subject.value;
}

describe("the CRL cache with a CRL server that hangs", () => {
  it("dates the failure from when the fetch gave up: new certificates of that CA within the negative TTL do not ask again", async () => {
    let crlFetchDone: () => void = () => {};
    const crlFetched = new Promise<void>((resolve) => {
      crlFetchDone = resolve;
    });
    const onEvent = (event: RevocationEvent) => {
      if (event.type === "fetch" && event.source === "crl") crlFetchDone();
    };
    const config = revocationConfigSchema.parse({
      failMode: "hard",
      negativeTtlSeconds: NEGATIVE_TTL_SECONDS,
      crlFetchTimeoutMs: CRL_FETCH_TIMEOUT_MS,
    });
    const checker = createRevocationChecker(config, { onEvent });
    try {
      const subjects = await Promise.all(["first", "second", "third", "fourth"].map(leafSubject));
      const t0 = Date.now();
      const at = (ms: number) => new Date(t0 + ms);

      const first = await checker.check(subjects[0]!, at(0));
      expect(first.status).toBe("unavailable");
      // The fetch runs on after the Check's time budget, until crlFetchTimeoutMs gives up on the server.
      await crlFetched;
      await new Promise((resolve) => setImmediate(resolve));
      expect(server.requests).toBe(1);

      // Past the negative TTL counted from the first Check, within it counted from the failure: the
      // failure is what the cache knows, and the hanging server is not asked again.
      const second = await checker.check(subjects[1]!, at(NEGATIVE_TTL_SECONDS * 1000 + 200));
      expect(second).toMatchObject({ status: "unavailable", code: "timeout" });
      const third = await checker.check(subjects[2]!, at(CRL_FETCH_TIMEOUT_MS));
      expect(third).toMatchObject({ status: "unavailable", code: "timeout" });
      expect(server.requests).toBe(1);

      // Once the negative TTL has passed since the failure, the server is asked again.
      const later = await checker.check(subjects[3]!, at(CRL_FETCH_TIMEOUT_MS + 60_000));
      expect(later.status).toBe("unavailable");
      await server.received(2);
      expect(server.requests).toBe(2);
    } finally {
      await checker.close();
    }
  }, 20_000);
});
