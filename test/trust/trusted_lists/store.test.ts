import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config.js";
import { type IssuedCertificate, issueCertificate } from "../../../src/demo/certificate_factory.js";
import { ConfigError } from "../../../src/foundation/config_error.js";
import { PROJECT_ROOT } from "../../../src/foundation/project_root.js";
import { admittingServiceChanges } from "../../../src/trust/trusted_lists/changes.js";
import { trustedListsConfigSchema } from "../../../src/trust/trusted_lists/config.js";
import { registerTrustedListMetrics } from "../../../src/trust/trusted_lists/metrics.js";
import { qualifyForWebsiteAuthentication } from "../../../src/trust/trusted_lists/qualification.js";
import { TrustedListStore } from "../../../src/trust/trusted_lists/store.js";
import { ASI, STATUS, signedTsl } from "./tl_builder.js";

/** A LOTL and Member State lists of our own, served from memory: no network anywhere in this test. */
const d = (s: string): Date => new Date(`${s}T00:00:00Z`);
const LOTL_URL = "https://lotl.test/eu-lotl.xml";
const url = (t: string): string => `https://tl.test/${t}.xml`;

let cacheDir: string;
let ojSigner: IssuedCertificate;
let qtspCa: IssuedCertificate;
let tpp: IssuedCertificate;
const served = new Map<string, Uint8Array>();
let clock = d("2025-03-01");
/** AA's list with an older sequence number, validly signed: a replay. */
let olderAa: Uint8Array;
/** AA's next list, where its QWAC service is withdrawn. */
let withdrawnAa: Uint8Array;
/** The same LOTL, one issue later, whose NextUpdate comes three months before AA's. */
let shortLotl: Uint8Array;

const config = () =>
  trustedListsConfigSchema.parse({
    lotl: LOTL_URL,
    lotlSigners: "oj.pem",
    cacheDir,
    refreshSeconds: 3600,
    graceSeconds: 86_400,
  });
const networkFetch = async (location: string): Promise<Uint8Array> => {
  const bytes = served.get(location);
  if (bytes === undefined) throw new Error(`connection refused: ${location}`);
  return bytes;
};
const noNetwork = async (location: string): Promise<Uint8Array> => {
  throw new Error(`no network: ${location}`);
};
const store = (fetch = networkFetch) =>
  new TrustedListStore(config(), [ojSigner.cert], { fetch, now: () => clock });

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), "tl-cache-"));
  const validity = { notBefore: d("2020-01-01"), notAfter: d("2030-01-01") };
  ojSigner = await issueCertificate({ subject: "CN=Test LOTL signer, C=EU", ...validity });
  const aaSigner = await issueCertificate({ subject: "CN=AA TL signer, C=AA", ...validity });
  const bbSigner = await issueCertificate({ subject: "CN=BB TL signer, C=BB", ...validity });
  const bbImpostor = await issueCertificate({ subject: "CN=BB TL signer, C=BB", ...validity });
  qtspCa = await issueCertificate({ subject: "CN=AA QWAC CA, C=AA", isCa: true, ...validity });
  tpp = await issueCertificate({
    subject: "CN=tpp.example, C=AA",
    issuer: qtspCa,
    notBefore: d("2024-01-01"),
    notAfter: d("2026-01-01"),
    qc: { types: ["web"] },
  });
  const lists = { issued: d("2025-01-01"), nextUpdate: d("2025-07-01") };
  const pointers = [
    { location: LOTL_URL, territory: "EU", signers: [ojSigner.cert], lotl: true },
    { location: url("AA"), territory: "AA", signers: [aaSigner.cert] },
    { location: url("BB"), territory: "BB", signers: [bbSigner.cert] },
    { location: url("CC"), territory: "CC", signers: [aaSigner.cert] },
  ];
  served.set(LOTL_URL, await signedTsl({ territory: "EU", sequence: 400, ...lists, pointers }, ojSigner));
  shortLotl = await signedTsl(
    { territory: "EU", sequence: 401, issued: lists.issued, nextUpdate: d("2025-04-01"), pointers },
    ojSigner,
  );
  const services = [
    {
      name: "AA QWAC",
      ca: qtspCa.cert,
      status: STATUS("granted"),
      since: d("2020-01-01"),
      asi: [ASI("ForWebSiteAuthentication")],
    },
  ];
  served.set(
    url("AA"),
    await signedTsl(
      { territory: "AA", sequence: 5, ...lists, providers: [{ name: "AA QTSP", services }] },
      aaSigner,
    ),
  );
  withdrawnAa = await signedTsl(
    {
      territory: "AA",
      sequence: 6,
      ...lists,
      providers: [
        {
          name: "AA QTSP",
          services: services.map((svc) => ({ ...svc, status: STATUS("withdrawn"), since: d("2025-02-01") })),
        },
      ],
    },
    aaSigner,
  );
  olderAa = await signedTsl({ territory: "AA", sequence: 4, ...lists, providers: [] }, aaSigner);
  // BB's list is signed by a key its pointer does not name; CC's list is not reachable at all.
  served.set(url("BB"), await signedTsl({ territory: "BB", sequence: 1, ...lists }, bbImpostor));
}, 120_000);

afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("the trusted list store", () => {
  it("is not ready before a LOTL verified, and stays not ready when the first refresh fails", async () => {
    const s = store(noNetwork);
    expect(s.view.ready).toBe(false);
    await s.refresh();
    expect(s.view.ready).toBe(false);
    expect(s.view.territories.get("EU")?.failures).toEqual({ FETCH_FAILED: 1 });
  });

  it("loads the territories that verify; a failing territory does not stop the others", async () => {
    const s = store();
    await s.refresh();
    const view = s.view;
    expect(view.ready).toBe(true);
    const status = Object.fromEntries(
      [...view.territories].map(([t, st]) => [t, st.usable ? "usable" : Object.keys(st.failures)]),
    );
    expect(status).toEqual({
      EU: "usable",
      AA: "usable",
      BB: ["SIGNER_NOT_ANNOUNCED"],
      CC: ["FETCH_FAILED"],
    });
    expect(await qualifyForWebsiteAuthentication(view.index, tpp.cert, clock)).toMatchObject({
      qualified: true,
      territory: "AA",
    });
    expect(existsSync(join(cacheDir, "lotl.xml")) && existsSync(join(cacheDir, "tl", "AA.xml"))).toBe(true);
    expect(existsSync(join(cacheDir, "tl", "BB.xml"))).toBe(false);
  });

  it("restarts with no network from the verified copies on disk", async () => {
    const s = store(noNetwork);
    await s.loadFromCache();
    expect(s.view.ready).toBe(true);
    expect(await qualifyForWebsiteAuthentication(s.view.index, tpp.cert, clock)).toMatchObject({
      qualified: true,
    });
  });

  it("keeps the last good copy when a refresh brings an altered list, and counts the failure by kind", async () => {
    const s = store();
    await s.refresh();
    const good = served.get(url("AA")) as Uint8Array;
    served.set(
      url("AA"),
      new TextEncoder().encode(
        new TextDecoder().decode(good).replace("<TSLSequenceNumber>5<", "<TSLSequenceNumber>6<"),
      ),
    );
    try {
      await s.refresh();
    } finally {
      served.set(url("AA"), good);
    }
    const aa = s.view.territories.get("AA");
    expect([aa?.usable, aa?.list?.sequenceNumber, aa?.failures]).toEqual([true, 5, { SIGNATURE_INVALID: 1 }]);
  });

  it("refuses a validly signed older list (sequence rollback) and keeps the newer one", async () => {
    const s = store();
    await s.refresh();
    const good = served.get(url("AA")) as Uint8Array;
    served.set(url("AA"), olderAa);
    try {
      await s.refresh();
    } finally {
      served.set(url("AA"), good);
    }
    const aa = s.view.territories.get("AA");
    expect([aa?.usable, aa?.list?.sequenceNumber, aa?.failures]).toEqual([true, 5, { SEQUENCE_ROLLBACK: 1 }]);
    expect(await qualifyForWebsiteAuthentication(s.view.index, tpp.cert, clock)).toMatchObject({
      qualified: true,
    });
  });

  it("fails a territory closed once its copy is past NextUpdate + grace, the LOTL still loaded", async () => {
    const s = store(noNetwork);
    await s.loadFromCache();
    clock = d("2025-07-01");
    clock = new Date(clock.getTime() + 86_400_000 - 1000);
    s.publish();
    expect(s.view.territories.get("AA")?.usable).toBe(true);
    clock = new Date(clock.getTime() + 2000);
    s.publish();
    expect(s.view.territories.get("AA")?.usable).toBe(false);
    expect(await qualifyForWebsiteAuthentication(s.view.index, tpp.cert, clock)).toEqual({ listed: false });
    clock = d("2025-03-01");
  });
});

describe("a stale LOTL", () => {
  it("past NextUpdate + grace supplies no pointers: the territories it pointed to fail closed, fresh lists or not", async () => {
    const ownCache = mkdtempSync(join(tmpdir(), "tl-stale-lotl-"));
    let lotlServed: Uint8Array | undefined = shortLotl;
    const fetch = async (location: string): Promise<Uint8Array> => {
      if (location !== LOTL_URL) return networkFetch(location);
      if (lotlServed === undefined) throw new Error(`connection refused: ${location}`);
      return lotlServed;
    };
    const s = new TrustedListStore({ ...config(), cacheDir: ownCache }, [ojSigner.cert], {
      fetch,
      now: () => clock,
    });
    const good = served.get(url("AA")) as Uint8Array;
    try {
      await s.refresh();
      expect(await qualifyForWebsiteAuthentication(s.view.index, tpp.cert, clock)).toMatchObject({
        qualified: true,
      });
      // The LOTL cannot be refreshed any more; AA's own list (NextUpdate 2025-07-01) is still fresh.
      clock = new Date(d("2025-04-01").getTime() + 86_400_000 + 1000);
      lotlServed = undefined;
      served.set(url("AA"), withdrawnAa);
      await s.refresh();
      const usable = Object.fromEntries([...s.view.territories].map(([t, st]) => [t, st.usable]));
      expect(usable).toMatchObject({ EU: false, AA: false });
      // The stale LOTL's pointer was not followed: AA's next issue (sequence 6) was never accepted.
      expect(s.view.territories.get("AA")?.list?.sequenceNumber).toBe(5);
      expect(await qualifyForWebsiteAuthentication(s.view.index, tpp.cert, clock)).toEqual({ listed: false });
    } finally {
      served.set(url("AA"), good);
      clock = d("2025-03-01");
      rmSync(ownCache, { recursive: true, force: true });
    }
  });
});

describe("changes of services that admit TPPs", () => {
  it("are reported between two views: AA's QWAC service granted -> withdrawn", async () => {
    const s = store();
    await s.refresh();
    const before = s.view;
    const good = served.get(url("AA")) as Uint8Array;
    served.set(url("AA"), withdrawnAa);
    try {
      await s.refresh();
    } finally {
      served.set(url("AA"), good);
    }
    expect(admittingServiceChanges(before, s.view)).toEqual([
      {
        territory: "AA",
        tsp: "AA QTSP",
        service: "AA QWAC",
        before: STATUS("granted"),
        after: STATUS("withdrawn"),
      },
    ]);
    expect(admittingServiceChanges(undefined, before).map((c) => [c.service, c.before, c.after])).toEqual([
      ["AA QWAC", undefined, STATUS("granted")],
    ]);
  });
});

describe("trusted list metrics", () => {
  it("expose per territory the sequence, NextUpdate, usability and failures by kind, read from the current view", async () => {
    const s = store();
    await s.refresh();
    const registry = new Registry();
    registerTrustedListMetrics(registry, s);
    const text = await registry.metrics();
    expect(text).toContain('gatekeeper_trusted_list_sequence{territory="AA"} 5');
    expect(text).toContain('gatekeeper_trusted_list_sequence{territory="EU"} 400');
    expect(text).toContain(
      `gatekeeper_trusted_list_next_update_timestamp_seconds{territory="AA"} ${d("2025-07-01").getTime() / 1000}`,
    );
    expect(text).toContain('gatekeeper_trusted_list_usable{territory="BB"} 0');
    expect(text).toContain("# TYPE gatekeeper_trusted_list_failures_total counter");
    expect(text).toContain(
      'gatekeeper_trusted_list_failures_total{territory="BB",kind="SIGNER_NOT_ANNOUNCED"} 1',
    );
    expect(text).toMatch(/gatekeeper_lotl_signers_digest \d+/);
  });
});

describe("the shipped trusted-list alert rules", () => {
  const promtool = spawnSync("promtool", ["--version"]).status === 0;
  it.skipIf(!promtool && process.env.CI === undefined)(
    "pass promtool check and fire as their unit tests say",
    () => {
      const cwd = join(PROJECT_ROOT, "deploy", "prometheus");
      expect(
        execFileSync("promtool", ["check", "rules", "trusted-lists-alerts.yml"], { cwd, encoding: "utf8" }),
      ).toMatch(/SUCCESS: 4 rules/);
      const result = spawnSync("promtool", ["test", "rules", "trusted-lists-alerts.test.yml"], {
        cwd,
        encoding: "utf8",
      });
      expect(result.stdout + result.stderr).toContain("SUCCESS");
      expect(result.status).toBe(0);
    },
  );
});

describe("trust.trustedLists configuration", () => {
  it("resolves file paths against the config file, keeps an https LOTL URL, and names the key of a bad value", () => {
    const yaml = (extra: string) =>
      `trust:\n  anchors: roots/\n  trustedLists: { lotl: ${LOTL_URL}, lotlSigners: oj.pem, cacheDir: cache${extra} }\npolicy: p.yaml\n`;
    const config = parseConfig(yaml(""), "/etc/gk/config.yaml");
    expect(config.trust.trustedLists).toMatchObject({
      lotl: LOTL_URL,
      lotlSigners: "/etc/gk/oj.pem",
      cacheDir: "/etc/gk/cache",
    });
    expect(() => parseConfig(yaml(", territories: [Greece]"), "/etc/gk/config.yaml")).toThrow(
      /trust\.trustedLists\.territories/,
    );
    expect(() => parseConfig(yaml(", refreshSecs: 5"), "/etc/gk/config.yaml")).toThrow(ConfigError);
  });

  it("makes trust.anchors optional once the lists are configured, and still required without them", () => {
    const lists = `  trustedLists: { lotl: ${LOTL_URL}, lotlSigners: oj.pem, cacheDir: cache }\n`;
    const config = parseConfig(`trust:\n${lists}policy: p.yaml\n`, "/etc/gk/config.yaml");
    expect(config.trust.anchors).toBeUndefined();
    expect(() => parseConfig("trust: {}\npolicy: p.yaml\n", "/etc/gk/config.yaml")).toThrow(
      /config\.yaml: trust\.anchors: required unless trust\.trustedLists is set/,
    );
  });

  it("defaults refresh to an hour and grace to a day; refuses a bad territory code", () => {
    const parsed = trustedListsConfigSchema.parse({ lotl: "x", lotlSigners: "y", cacheDir: "z" });
    expect([parsed.refreshSeconds, parsed.graceSeconds]).toEqual([3600, 86_400]);
    expect(
      trustedListsConfigSchema.safeParse({
        lotl: "x",
        lotlSigners: "y",
        cacheDir: "z",
        territories: ["Greece"],
      }).success,
    ).toBe(false);
  });
});
