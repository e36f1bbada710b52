import { findEnrichment } from "@vulntriage/db";
import {
  createTestDatabase,
  kevEntry,
  type StubEpss,
  type StubKev,
  startStubEpss,
  startStubKev,
  type TestDatabase,
  testSharedStore,
} from "@vulntriage/test-utils";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  analysisSettings,
  createKevSource,
  type EnrichmentSources,
  enrichScan,
  silentLogger,
} from "../../src/index.js";
import { scanOf as scanWith } from "./scan-of.js";

// KEV's catalogue and NVD's window live in Redis: each source gets a store of its own.
const store = testSharedStore();
afterAll(() => store.close());

let database: TestDatabase;
let kev: StubKev;
let epss: StubEpss;
let scanNo = 0;

beforeAll(async () => {
  [database, kev, epss] = await Promise.all([
    createTestDatabase(),
    startStubKev({
      entries: [
        kevEntry("CVE-2021-44228", { knownRansomwareCampaignUse: "Known" }),
        // Without the optional fields.
        kevEntry("CVE-2023-44487", {
          knownRansomwareCampaignUse: undefined,
          notes: undefined,
          cwes: undefined,
        }),
      ],
    }),
    startStubEpss(),
  ]);
});
afterAll(async () => {
  await Promise.all([database?.drop(), kev?.close(), epss?.close()]);
});
beforeEach(() => {
  kev.reset();
  epss.reset();
});

const ctx = () => ({
  db: database.db,
  analysis: analysisSettings({ model: "m", analyzeOnIngest: false, analyzeMinSeverity: "UNKNOWN" }),
  log: silentLogger,
});

function sources(overrides: Partial<EnrichmentSources> = {}): EnrichmentSources {
  return {
    kev: createKevSource({ url: kev.feedUrl, refreshMs: 3_600_000, timeoutMs: 2_000, shared: store.own() }),
    epssUrl: epss.endpoint,
    nvd: null,
    osvApiRoot: null,
    timeoutMs: 2_000,
    kevFreshMs: 3_600_000,
    leaseMs: 60_000,
    backoff: { firstMs: 60_000, maxMs: 3_600_000 },
    ...overrides,
  };
}

/** A scan holding one finding per id. */
const scanOf = (ids: string[]) => {
  scanNo++;
  return scanWith(
    database.db,
    ids.map((id): [string, null] => [id, null]),
  );
};

describe(enrichScan.name, () => {
  it("should record found, not listed and never checked apart, with EPSS strings as numbers", async () => {
    const scanId = await scanOf([
      "CVE-2021-44228",
      "CVE-2023-44487",
      "CVE-2022-27225",
      "CVE-2099-0001",
      "GHSA-aaaa-bbbb-cccc",
    ]);
    const result = await enrichScan({ ctx: ctx(), sources: sources(), input: { scanId } });
    expect(result).toEqual({
      ids: 5,
      kev: { checked: 4, found: 2, errors: 0 },
      epss: { checked: 4, found: 3, errors: 0 },
      osv: { checked: 0, found: 0, errors: 0 },
      nvd: { checked: 0, found: 0, errors: 0 },
    });
    const log4shell = await findEnrichment(database.db, "CVE-2021-44228");
    expect(log4shell).toMatchObject({ kevOutcome: "found", epssOutcome: "found" });
    expect(log4shell?.kev).toMatchObject({ knownRansomwareCampaignUse: true, dateAdded: expect.any(String) });
    expect(typeof log4shell?.epssScore).toBe("number");
    const rapidReset = await findEnrichment(database.db, "CVE-2023-44487");
    expect(rapidReset?.kev?.knownRansomwareCampaignUse).toBeNull();
    const old = await findEnrichment(database.db, "CVE-2022-27225");
    expect(old).toMatchObject({
      kevOutcome: "not_listed",
      epssOutcome: "found",
      epssScore: 0.00043,
      epssDate: "2022-03-05",
    });
    expect(await findEnrichment(database.db, "CVE-2099-0001")).toMatchObject({
      kevOutcome: "not_listed",
      epssOutcome: "not_listed",
    });
    // No CVE alias known yet: neither source can say anything about it.
    expect(await findEnrichment(database.db, "GHSA-aaaa-bbbb-cccc")).toMatchObject({
      kevOutcome: "not_checked",
      epssOutcome: "not_checked",
      kevCheckedAt: null,
    });
  });

  it("should fetch an id once while it is fresh, across scans and concurrent jobs", async () => {
    const ids = ["CVE-2021-3156", "CVE-2005-2541", "CVE-2024-6119"];
    const [a, b] = [await scanOf(ids), await scanOf(ids)];
    const shared = sources();
    await Promise.all([
      enrichScan({ ctx: ctx(), sources: shared, input: { scanId: a } }),
      enrichScan({ ctx: ctx(), sources: shared, input: { scanId: b } }),
    ]);
    await enrichScan({ ctx: ctx(), sources: shared, input: { scanId: a } });
    const asked = epss.requests.flatMap((r) => (r.query.cve ?? "").split(",")).filter(Boolean);
    expect(asked.sort()).toEqual([...ids].sort());
    expect(kev.feedCalls).toBe(1);
  });

  it("should keep EPSS batches within 2,000 characters and ask for every row of a batch", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `CVE-2024-${String(30_000 + i)}`);
    const scanId = await scanOf(ids);
    const result = await enrichScan({ ctx: ctx(), sources: sources(), input: { scanId } });
    expect(result.epss.checked).toBe(250);
    expect(epss.tooLong).toBe(0);
    expect(epss.calls).toBeGreaterThanOrEqual(2);
    for (const r of epss.requests) expect((r.query.cve ?? "").length).toBeLessThanOrEqual(2_000);
  });

  it("should make no request at all offline, and leave every id not checked", async () => {
    const scanId = await scanOf(["CVE-2021-44228", "CVE-2031-0002"]);
    const result = await enrichScan({
      ctx: ctx(),
      sources: sources({ kev: null, epssUrl: null }),
      input: { scanId },
    });
    expect(result.kev.checked + result.epss.checked).toBe(0);
    expect(kev.requests).toHaveLength(0);
    expect(epss.requests).toHaveLength(0);
    expect(await findEnrichment(database.db, "CVE-2031-0002")).toMatchObject({
      kevOutcome: "not_checked",
      epssOutcome: "not_checked",
    });
  });

  it.each([
    ["a 503 with Retry-After", { kind: "http", status: 503, retryAfter: 30 }, /503/],
    ["an HTML error page", { kind: "html" }, /HTML/],
    ["a truncated body", { kind: "truncate" }, /parse|cut off|broke off/],
    ["a reset connection", { kind: "reset" }, /reach|broke off/],
    ["a slow answer", { kind: "delay", ms: 5_000 }, /within/],
  ] as const)(
    "should record %s as an error with its reason and a back-off, and never throw",
    async (_, fault, reason) => {
      const id = `CVE-2032-${1000 + scanNo}`;
      const scanId = await scanOf([id]);
      kev.setFault(fault);
      epss.setFault(fault);
      try {
        const result = await enrichScan({
          ctx: ctx(),
          sources: sources({
            timeoutMs: 500,
            kev: createKevSource({
              url: kev.feedUrl,
              refreshMs: 3_600_000,
              timeoutMs: 500,
              shared: store.own(),
            }),
          }),
          input: { scanId },
        });
        expect(result.kev.errors).toBe(1);
        expect(result.epss.errors).toBe(1);
      } finally {
        kev.setFault(null);
        epss.setFault(null);
      }
      const row = await findEnrichment(database.db, id);
      expect(row).toMatchObject({ kevOutcome: "error", epssOutcome: "error", kevFailures: 1 });
      expect(row?.kevError).toMatch(reason);
      expect(row?.epssError).toMatch(reason);
      expect(row?.epssFreshUntil?.getTime()).toBeGreaterThan(Date.now() + 30_000);
    },
  );
});
