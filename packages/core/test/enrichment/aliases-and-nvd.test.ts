import { findEnrichment } from "@vulntriage/db";
import {
  createTestDatabase,
  ghsaVuln,
  goVuln,
  kevEntry,
  nvdNoMetricsRecord,
  nvdV2OnlyRecord,
  nvdV4OnlyRecord,
  type StubEpss,
  type StubKev,
  type StubNvd,
  type StubOsv,
  startStubEpss,
  startStubKev,
  startStubNvd,
  startStubOsv,
  type TestDatabase,
  testSharedStore,
} from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNvdSource } from "../../src/enrichment/nvd.js";
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
let nvd: StubNvd;
let osv: StubOsv;
const WINDOW_MS = 1_000;

beforeAll(async () => {
  [database, kev, epss, nvd, osv] = await Promise.all([
    createTestDatabase(),
    startStubKev({ entries: [kevEntry("CVE-2022-99991", { knownRansomwareCampaignUse: "Known" })] }),
    startStubEpss({
      scores: {
        "CVE-2022-99991": { epss: 0.61, percentile: 0.98 },
        "CVE-2022-99992": { epss: 0.02, percentile: 0.8 },
      },
    }),
    startStubNvd({
      windowMs: WINDOW_MS,
      records: [
        nvdV2OnlyRecord("CVE-2005-2541"),
        nvdV4OnlyRecord("CVE-2025-24813"),
        nvdNoMetricsRecord("CVE-2025-31115"),
      ],
    }),
    startStubOsv({
      vulns: [
        ghsaVuln("GHSA-jfh8-c2jp-5v3q", "CVE-2022-99991"),
        ghsaVuln("GHSA-aaaa-bbbb-cccc", "CVE-2022-99992"),
        goVuln("GO-2022-0001"),
      ],
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([database?.drop(), kev?.close(), epss?.close(), nvd?.close(), osv?.close()]);
});

const scanOf = (entries: [string, Record<string, unknown> | null][]) => scanWith(database.db, entries);

function sources(): EnrichmentSources {
  return {
    kev: createKevSource({ url: kev.feedUrl, refreshMs: 3_600_000, timeoutMs: 2_000, shared: store.own() }),
    epssUrl: epss.endpoint,
    nvd: createNvdSource({
      shared: store.own(),
      url: nvd.endpoint,
      apiKey: null,
      timeoutMs: 2_000,
      windowMs: WINDOW_MS,
      retryBaseMs: 200,
    }),
    osvApiRoot: osv.apiRoot,
    timeoutMs: 2_000,
    kevFreshMs: 3_600_000,
    leaseMs: 60_000,
    backoff: { firstMs: 60_000, maxMs: 3_600_000 },
  };
}

const ctx = () => ({
  db: database.db,
  analysis: analysisSettings({ model: "m", analyzeOnIngest: false, analyzeMinSeverity: "UNKNOWN" }),
  log: silentLogger,
});

describe("OSV aliases and NVD in the enrichment", () => {
  it("should reach KEV and EPSS through a GHSA's CVE alias, and say a GO id without one is not listed", async () => {
    const scanId = await scanOf([
      ["GHSA-jfh8-c2jp-5v3q", { ghsa: { V3Score: 9.8 } }],
      ["GO-2022-0001", { ghsa: { V3Score: 5.3 } }],
    ]);
    const result = await enrichScan({ ctx: ctx(), sources: sources(), input: { scanId } });
    expect(result.osv).toEqual({ checked: 2, found: 1, errors: 0 });
    const ghsa = await findEnrichment(database.db, "GHSA-jfh8-c2jp-5v3q");
    expect(ghsa).toMatchObject({
      aliases: ["CVE-2022-99991"],
      osvOutcome: "found",
      kevOutcome: "found",
      epssOutcome: "found",
      epssScore: 0.61,
    });
    expect(ghsa?.kev?.knownRansomwareCampaignUse).toBe(true);
    expect(await findEnrichment(database.db, "GO-2022-0001")).toMatchObject({
      aliases: [],
      osvOutcome: "not_listed",
    });
    // Reports carried CVSS v3 for both: NVD is not asked.
    expect(nvd.calls).toBe(0);
  });

  it("should ask NVD only for CVEs the report left without CVSS v3/v4, within its rate limit", async () => {
    const ids = [
      "CVE-2005-2541",
      "CVE-2025-24813",
      "CVE-2025-31115",
      ...Array.from({ length: 6 }, (_, i) => `CVE-2026-${40_000 + i}`),
    ];
    const scanId = await scanOf([
      ...ids.map((id): [string, Record<string, unknown> | null] => [
        id,
        id === "CVE-2005-2541" ? { nvd: { V2Score: 5 } } : null,
      ]),
      ["CVE-2024-7777", { nvd: { V3Score: 7.5 } }],
    ]);
    const result = await enrichScan({ ctx: ctx(), sources: sources(), input: { scanId } });
    expect(result.nvd).toEqual({ checked: 9, found: 3, errors: 0 });
    const asked = nvd.requests.map((r) => r.query.cveId).sort();
    expect(asked).toEqual([...ids].sort());
    expect(nvd.peakInWindow).toBeLessThanOrEqual(5);
    expect(nvd.rateLimited).toBe(0);
    const v4 = await findEnrichment(database.db, "CVE-2025-24813");
    expect(v4).toMatchObject({ nvdOutcome: "found" });
    expect(v4?.nvd?.cvss[0]?.version).toMatch(/^4/);
    expect(await findEnrichment(database.db, "CVE-2026-40000")).toMatchObject({ nvdOutcome: "not_listed" });

    // Within the freshness window a second run asks NVD nothing.
    const again = await enrichScan({ ctx: ctx(), sources: sources(), input: { scanId } });
    expect(again.nvd.checked).toBe(0);
  });
});
