import {
  analysisSettings,
  createKevSource,
  type EnrichmentSources,
  enrichScan,
  ingestReport,
  type ServiceContext,
} from "@vulntriage/core";
import { Redis } from "ioredis";
// By path: the test-utils index pulls in vitest.
import { createNvdSource } from "../packages/core/src/enrichment/nvd.js";
import { listTrivyFixtures, readTrivyFixture } from "../packages/test-utils/src/fixtures.js";
import { startStubEpss } from "../packages/test-utils/src/stub-epss.js";
import { kevEntry, startStubKev } from "../packages/test-utils/src/stub-kev.js";
import { startStubNvd } from "../packages/test-utils/src/stub-nvd.js";
import { ghsaVuln, startStubOsv } from "../packages/test-utils/src/stub-osv.js";
import { freshDatabase } from "./lib/bench-database.js";
import { BENCH_REDIS_URL, deleteKeys, randomPrefix } from "./lib/redis-helper.js";

// Requests per source against the distinct ids of the 70 shared reports, and the time to enrich
// them all, with local stub servers (nothing leaves the machine) and NVD's window shrunk to 1 ms so
// that the figure leaves out only NVD's enforced waits.
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

export async function benchEnrichment(): Promise<void> {
  console.log(
    "\n# Enrichment benchmark — the 70 shared fixture reports against local KEV, EPSS, NVD and OSV stubs",
  );
  const database = await freshDatabase("vulntriage_bench_enrichment");
  const ctx: ServiceContext = {
    db: database.db,
    analysis: analysisSettings({ model: "m", analyzeOnIngest: false, analyzeMinSeverity: "UNKNOWN" }),
    log: quiet,
  };
  const scans: number[] = [];
  for (const fixture of listTrivyFixtures()) {
    try {
      const result = await ingestReport({ ctx, input: { body: readTrivyFixture(fixture) } });
      if (!result.duplicate) scans.push(result.scan.id);
    } catch {
      // trivy k8s reports are refused (422): not scans
    }
  }
  // An id is NVD's to answer when, in some scan, none of its report entries carries CVSS v3/v4.
  const { rows } = await database.pool.query<{ id: string; lacks_cvss: boolean }>(
    `select id, bool_or(lacks) as lacks_cvss from (
       select vulnerability_id as id,
         bool_and(not jsonb_path_exists(coalesce(cvss, '{}'::jsonb), '$.*.V3Score')
              and not jsonb_path_exists(coalesce(cvss, '{}'::jsonb), '$.*.V40Score')) as lacks
       from container_findings where vulnerability_id is not null group by scan_id, vulnerability_id
     ) per_scan group by id`,
  );
  const cves = rows.filter((r) => r.id.startsWith("CVE-"));
  const others = rows.filter((r) => !r.id.startsWith("CVE-"));
  const [kev, epss, nvd, osv] = await Promise.all([
    startStubKev({ entries: cves.filter((_, i) => i % 40 === 0).map((r) => kevEntry(r.id)) }),
    startStubEpss({
      scores: Object.fromEntries(
        cves
          .filter((_, i) => i % 5 !== 0)
          .map((r, i) => [r.id, { epss: (i % 97) / 100, percentile: (i % 89) / 100 }]),
      ),
    }),
    startStubNvd({ windowMs: 1, limit: 1_000_000 }),
    startStubOsv({ vulns: others.map((r, i) => ghsaVuln(r.id, `CVE-2099-${10_000 + i}`)) }),
  ]);
  // Two workers of one fleet: each its own sources, sharing KEV's catalogue and NVD's window in Redis.
  const redis = new Redis(BENCH_REDIS_URL);
  const shared = { redis, keyPrefix: randomPrefix() };
  const worker = (): EnrichmentSources => ({
    kev: createKevSource({ url: kev.feedUrl, refreshMs: 3_600_000, timeoutMs: 10_000, shared }),
    epssUrl: epss.endpoint,
    nvd: createNvdSource({ url: nvd.endpoint, apiKey: null, timeoutMs: 10_000, windowMs: 1, shared }),
    osvApiRoot: osv.apiRoot,
    timeoutMs: 10_000,
    kevFreshMs: 3_600_000,
    leaseMs: 300_000,
    backoff: { firstMs: 300_000, maxMs: 21_600_000 },
  });
  const workers = [worker(), worker()];
  // Each worker takes the next scan as it is free, as two enrichment workers on one queue would.
  const enrichAll = async () => {
    let next = 0;
    await Promise.all(
      workers.map(async (sources) => {
        while (next < scans.length)
          await enrichScan({ ctx, sources, input: { scanId: scans[next++] as number } });
      }),
    );
  };
  try {
    const started = performance.now();
    await enrichAll();
    const elapsed = performance.now() - started;
    const lacking = cves.filter((r) => r.lacks_cvss).length;
    console.log(
      `${scans.length} scans, ${rows.length} distinct ids (${cves.length} CVEs, ${others.length} others), enriched by two workers in ${(elapsed / 1000).toFixed(1)} s`,
    );
    console.log(`KEV   requests ${kev.feedCalls} for the two workers (goal 1)`);
    console.log(
      `EPSS  requests ${epss.calls} for ${cves.length + others.length} CVEs and aliases: ${Math.ceil((cves.length + others.length) / 100)} batches of 100 would be the floor; refused for length ${epss.tooLong}`,
    );
    const nvdIds = new Set(nvd.requests.map((r) => r.query.cveId)).size;
    console.log(
      `NVD   requests ${nvd.calls} (${nvdIds} distinct ids) for ${lacking} CVEs some report left without CVSS v3/v4 (goal: those, once each)`,
    );
    console.log(`OSV   requests ${osv.vulnCalls} for ${others.length} non-CVE ids`);
    // A second pass within the freshness windows asks nothing.
    const before = kev.feedCalls + epss.calls + nvd.calls + osv.vulnCalls;
    await enrichAll();
    console.log(
      `second pass over every scan: ${kev.feedCalls + epss.calls + nvd.calls + osv.vulnCalls - before} requests (goal 0)`,
    );
  } finally {
    await Promise.all([kev.close(), epss.close(), nvd.close(), osv.close()]);
    redis.disconnect();
    await deleteKeys(shared.keyPrefix);
    await database.drop();
  }
}
