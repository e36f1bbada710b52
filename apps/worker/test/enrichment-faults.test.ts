import { createKevSource, type EnrichmentSources } from "@vulntriage/core";
import {
  ghsaVuln,
  kevEntry,
  nvdV31Record,
  type StubBase,
  type StubEpss,
  type StubFault,
  type StubKev,
  type StubNvd,
  type StubOsv,
  startStubEpss,
  startStubKev,
  startStubNvd,
  startStubOsv,
  testSharedStore,
} from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// Not exported from the package (the worker builds it from the configuration); as bench/enrichment.ts does.
import { createNvdSource } from "../../../packages/core/src/enrichment/nvd.js";
import {
  getJson,
  type Json,
  type Stack,
  startStack,
  statusCounts,
  userMessageOf,
  waitFor,
} from "./helpers.js";

// KEV's catalogue and NVD's window live in Redis: each source gets a store of its own.
const store = testSharedStore();
afterAll(() => store.close());

// Whatever a source does wrong — refuses, throttles, hangs, cuts its JSON off, serves a proxy's HTML
// page or resets the connection — an upload and its analyses come out as without the fault: 201,
// every finding stored with a risk, every analysis completed. Only the faulted source's answers
// become `error`, with the reason and a back-off, and the next enrichment after the back-off gets
// the real answer. One stack (API, enrichment and analysis workers) for every case; each case its
// own vulnerability ids, since fresh answers are by design never asked for again.

const SOURCES = ["kev", "epss", "nvd", "osv"] as const;
type Source = (typeof SOURCES)[number];
type Outcome = "found" | "not_listed" | "error" | "not_checked";
type Outcomes = Record<Source, Outcome>;

// Small, so that a hanging source costs a case a fraction of a second.
const TIMEOUT_MS = 300;
// Long enough that nothing asks again within a case unless the test lets it.
const BACKOFF_MS = 60_000;
const NVD_WINDOW_MS = 500;
const NVD_MAX_RETRY_WAIT_MS = 100;

type FaultCase = { name: string; fault: StubFault; reason: RegExp };

const FAULTS: FaultCase[] = [
  { name: "HTTP 503", fault: { kind: "http", status: 503 }, reason: /\b503\b/ },
  {
    name: "HTTP 429 with Retry-After",
    fault: { kind: "http", status: 429, retryAfter: 1 },
    reason: /\b429\b/,
  },
  { name: "HTTP 403", fault: { kind: "http", status: 403 }, reason: /\b403\b/ },
  {
    name: "a timeout",
    fault: { kind: "delay", ms: 10 * TIMEOUT_MS },
    reason: new RegExp(`did not answer within ${TIMEOUT_MS} ms`),
  },
  { name: "truncated JSON", fault: { kind: "truncate" }, reason: /JSON that does not parse/ },
  { name: "an HTML error page", fault: { kind: "html" }, reason: /an HTML page instead of JSON/ },
  { name: "a connection reset", fault: { kind: "reset" }, reason: /cannot reach 127\.0\.0\.1:\d+: \S+/ },
];

/** The vulnerability ids of one case: none shared with another case. */
type CaseIds = {
  /** In KEV, scored by EPSS, known to NVD; the report has no CVSS v3/v4 for it, so NVD is asked. */
  exploited: string;
  /** In neither KEV nor EPSS; the report scores it (CVSS v3), so NVD is not asked. */
  scored: string;
  /** A GitHub advisory whose CVE alias only OSV knows. */
  advisory: string;
  /** The advisory's CVE: scored by EPSS, not in KEV; no finding of its own. */
  alias: string;
  /** A Go advisory OSV does not know (404): no alias. */
  unaliased: string;
};

function caseIds(n: number): CaseIds {
  const nn = String(n).padStart(3, "0");
  return {
    exploited: `CVE-2030-${nn}1`,
    scored: `CVE-2030-${nn}2`,
    advisory: `GHSA-f${nn}-fau1-t5ok`,
    alias: `CVE-2030-${nn}3`,
    unaliased: `GO-2030-${nn}4`,
  };
}

/** A Trivy report with the case's four findings: two Debian packages, an npm and a Go module. */
function reportFor(ids: CaseIds, n: number): string {
  const vuln = (id: string, pkg: string, extra: object = {}) => ({
    VulnerabilityID: id,
    PkgName: pkg,
    InstalledVersion: "1.0.0",
    FixedVersion: "1.0.1",
    Status: "fixed",
    Severity: "HIGH",
    Title: `${pkg}: flaw in ${pkg}`,
    Description: `A flaw was found in ${pkg} that lets a remote attacker cause a denial of service.`,
    ...extra,
  });
  const image = `registry.example.com/enrichment-faults/case-${n}`;
  return JSON.stringify({
    SchemaVersion: 2,
    CreatedAt: "2025-03-01T10:00:00Z",
    ArtifactName: `${image}:1`,
    ArtifactType: "container_image",
    Metadata: { OS: { Family: "debian", Name: "12.5" } },
    Results: [
      {
        Target: `${image}:1 (debian 12.5)`,
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: [
          vuln(ids.exploited, `libexploited${n}`),
          vuln(ids.scored, `libscored${n}`, {
            SeveritySource: "nvd",
            CVSS: { nvd: { V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", V3Score: 7.5 } },
          }),
        ],
      },
      {
        Target: "app/package-lock.json",
        Class: "lang-pkgs",
        Type: "npm",
        Vulnerabilities: [vuln(ids.advisory, `advised-${n}`)],
      },
      {
        Target: "app/go.mod",
        Class: "lang-pkgs",
        Type: "gomod",
        Vulnerabilities: [vuln(ids.unaliased, `example.com/unaliased${n}`)],
      },
    ],
  });
}
const FINDINGS_PER_REPORT = 4;

/** What each id's row says once enrichment is over, with `faulted` failing every request. */
function expectedOutcomes(ids: CaseIds, faulted: Source | null): Record<string, Outcomes> {
  const rows: Record<string, Outcomes> = {
    [ids.exploited]: { kev: "found", epss: "found", nvd: "found", osv: "not_checked" },
    [ids.scored]: { kev: "not_listed", epss: "not_listed", nvd: "not_checked", osv: "not_checked" },
    // KEV and EPSS of a non-CVE id are its aliases'.
    [ids.advisory]: { kev: "not_listed", epss: "found", nvd: "not_checked", osv: "found" },
    [ids.alias]: { kev: "not_listed", epss: "found", nvd: "not_checked", osv: "not_checked" },
    [ids.unaliased]: { kev: "not_checked", epss: "not_checked", nvd: "not_checked", osv: "not_listed" },
  };
  if (faulted === "osv") {
    // Without OSV the alias stays unknown: no row for it, nothing for KEV and EPSS to copy.
    delete rows[ids.alias];
    rows[ids.advisory] = { kev: "not_checked", epss: "not_checked", nvd: "not_checked", osv: "error" };
    rows[ids.unaliased] = { ...(rows[ids.unaliased] as Outcomes), osv: "error" };
  } else if (faulted) {
    for (const row of Object.values(rows)) if (row[faulted] !== "not_checked") row[faulted] = "error";
  }
  return rows;
}

/** The ids a source itself is asked about (the advisory's KEV and EPSS answers are copied from its alias). */
function askedAbout(ids: CaseIds, source: Source): string[] {
  if (source === "nvd") return [ids.exploited];
  if (source === "osv") return [ids.advisory, ids.unaliased];
  return [ids.exploited, ids.scored, ids.alias];
}

describe("enrichment source faults", () => {
  let stack: Stack;
  let kev: StubKev;
  let epss: StubEpss;
  let nvd: StubNvd;
  let osv: StubOsv;
  let stubs: Record<Source, StubBase>;
  let caseNumber = 0;

  beforeAll(async () => {
    [kev, epss, nvd, osv] = await Promise.all([
      startStubKev({ entries: [] }),
      startStubEpss({ scores: {} }),
      startStubNvd({ records: [], windowMs: NVD_WINDOW_MS }),
      startStubOsv({ vulns: [] }),
    ]);
    stubs = { kev, epss, nvd, osv };
    // Every source a local stub: no request leaves the machine.
    const sources: EnrichmentSources = {
      // refreshMs 0: every enrichment fetches the feed (a conditional GET), so a KEV fault is met.
      kev: createKevSource({ url: kev.feedUrl, refreshMs: 0, timeoutMs: TIMEOUT_MS, shared: store.own() }),
      epssUrl: epss.endpoint,
      nvd: createNvdSource({
        shared: store.own(),
        url: nvd.endpoint,
        apiKey: null,
        timeoutMs: TIMEOUT_MS,
        windowMs: NVD_WINDOW_MS,
        maxRetries: 1,
        retryBaseMs: 20,
        maxRetryWaitMs: NVD_MAX_RETRY_WAIT_MS,
      }),
      osvApiRoot: osv.apiRoot,
      timeoutMs: TIMEOUT_MS,
      kevFreshMs: 3_600_000,
      leaseMs: 60_000,
      backoff: { firstMs: BACKOFF_MS, maxMs: 10 * BACKOFF_MS },
    };
    // Analyses wait for the scan's enrichment, so that every prompt is built from what the faulted
    // enrichment left.
    stack = await startStack({ enrichment: sources, enrichmentWaitMs: 15_000 });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([kev?.close(), epss?.close(), nvd?.close(), osv?.close()]);
  });

  async function enrichmentRows(ids: CaseIds): Promise<Record<string, Json>> {
    const { rows } = await stack.database.pool.query(
      "select * from cve_enrichment where vulnerability_id = any($1)",
      [Object.values(ids)],
    );
    return Object.fromEntries(rows.map((r) => [r.vulnerability_id, r]));
  }

  const outcomesOf = (rows: Record<string, Json>): Record<string, Outcomes> =>
    Object.fromEntries(
      Object.entries(rows).map(([id, row]) => [
        id,
        Object.fromEntries(SOURCES.map((s) => [s, row[`${s}_outcome`]])) as Outcomes,
      ]),
    );

  /** Each stub's data for this case's ids. A new KEV catalogue also means the next feed GET is a 200, not a 304. */
  function publish(ids: CaseIds): void {
    kev.setEntries([kevEntry(ids.exploited)]);
    epss.setScores({
      [ids.exploited]: { epss: 0.92, percentile: 0.998 },
      [ids.alias]: { epss: 0.03, percentile: 0.61 },
    });
    nvd.setRecords([nvdV31Record(ids.exploited)]);
    osv.setVulns([ghsaVuln(ids.advisory, ids.alias)]);
  }

  /**
   * Uploads a fresh case's report with every request to `source` failing with `fault`; answers once
   * the enrichment job (NVD last) and every analysis of the scan are over.
   */
  async function faultedUpload(source: Source, fault: StubFault): Promise<{ ids: CaseIds; scanId: number }> {
    const n = ++caseNumber;
    const ids = caseIds(n);
    for (const stub of Object.values(stubs)) stub.reset();
    publish(ids);
    stubs[source].setFault(fault);

    const response = await fetch(`${stack.url}/api/container/scans`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: reportFor(ids, n),
    });
    const uploaded = (await response.json()) as Json;
    expect(response.status).toBe(201);
    expect(uploaded.findings_ingested).toBe(FINDINGS_PER_REPORT);
    const scanId = uploaded.scan.id as number;

    // NVD is asked last, after the scan is marked enriched: its answer (or error) ends the job.
    await waitFor(`scan ${scanId} enriched, NVD asked`, async () => {
      const { rows } = await stack.database.pool.query(
        `select s.enriched_at is not null and e.nvd_outcome <> 'not_checked' as done
         from container_scans s, cve_enrichment e where s.id = $1 and e.vulnerability_id = $2`,
        [scanId, ids.exploited],
      );
      return rows[0]?.done === true;
    });
    const settled = await waitFor(`scan ${scanId} analysed`, async () => {
      const counts = await statusCounts(stack.database, scanId);
      return (counts.completed ?? 0) + (counts.failed ?? 0) === FINDINGS_PER_REPORT && counts;
    });
    expect(settled).toEqual({ completed: FINDINGS_PER_REPORT });
    return { ids, scanId };
  }

  /** The user messages of the chat requests about this id. */
  const promptsAbout = (id: string): string[] =>
    stack.fake.requests
      .filter((r) => r.path === "/api/chat")
      .map((r) => userMessageOf(r) ?? "")
      .filter((u) => u.includes(`"${id}"`));

  describe.each(SOURCES)("%s", (source) => {
    it.each(FAULTS)(
      "should leave the upload and its analyses as they were on $name",
      async ({ fault, reason }) => {
        const { ids, scanId } = await faultedUpload(source, fault);
        const faulted = stubs[source];

        // The fault was met: every request the source got in this case had it, and concerned this case.
        const hits = [...faulted.requests];
        expect(hits.length).toBeGreaterThan(0);
        for (const hit of hits) expect(hit.fault).toBe(fault.kind);
        if (source === "epss")
          expect(hits.map((h) => h.query.cve?.split(",").sort())).toEqual([
            [ids.exploited, ids.scored, ids.alias].sort(),
          ]);
        if (source === "osv")
          expect(hits.map((h) => h.path).sort()).toEqual(
            [ids.advisory, ids.unaliased].map((id) => `/v1/vulns/${id}`).sort(),
          );
        if (source === "nvd") {
          for (const hit of hits) expect(hit.query.cveId).toBe(ids.exploited);
          // 403, 429 and 503 are waited out once (maxRetries 1), the rest fail at once.
          expect(hits).toHaveLength(fault.kind === "http" ? 2 : 1);
          if (fault.kind === "http" && fault.retryAfter !== undefined) {
            // Retry-After (1 s) is honoured up to maxRetryWaitMs.
            expect((hits[1]?.at ?? 0) - (hits[0]?.at ?? 0)).toBeGreaterThanOrEqual(NVD_MAX_RETRY_WAIT_MS - 5);
          }
        }
        if (source === "kev") expect(hits.map((h) => h.path)).toEqual(["/feed.json"]);
        // The other sources answered normally.
        for (const other of SOURCES.filter((s) => s !== source)) {
          const answered = stubs[other].requests;
          expect(answered.length, other).toBeGreaterThan(0);
          for (const request of answered) {
            expect(request.fault, other).toBeUndefined();
            expect(request.status, `${other} ${request.path}`).toBe(
              request.path === `/v1/vulns/${ids.unaliased}` ? 404 : 200,
            );
          }
        }

        // Only the faulted source's answers are errors; they say why and when to ask again.
        const rows = await enrichmentRows(ids);
        expect(outcomesOf(rows)).toEqual(expectedOutcomes(ids, source));
        for (const id of askedAbout(ids, source)) {
          const row = rows[id];
          expect(row[`${source}_error`], id).toMatch(reason);
          expect(row[`${source}_failures`], id).toBe(1);
          const checkedAt = (row[`${source}_checked_at`] as Date).getTime();
          const retryAt = (row[`${source}_fresh_until`] as Date).getTime();
          expect(Math.abs(retryAt - checkedAt - BACKOFF_MS), id).toBeLessThan(1_000);
        }
        for (const [id, row] of Object.entries(rows))
          for (const other of SOURCES.filter((s) => s !== source))
            expect(row[`${other}_error`], `${id} ${other}`).toBeNull();

        // Every finding has its risk and its completed analysis; an unknown answer shows as unknown.
        const page = await getJson(`${stack.url}/api/container/scans/${scanId}/findings?limit=100`);
        expect(page.status).toBe(200);
        expect(page.body.total).toBe(FINDINGS_PER_REPORT);
        for (const finding of page.body.items) {
          expect(finding.llm_analysis_status, finding.vulnerability_id).toBe("completed");
          expect(finding.llm_analysis_error).toBeNull();
          expect(finding.risk.score).toBeGreaterThanOrEqual(1);
          expect(finding.risk.score).toBeLessThanOrEqual(10);
          expect(finding.risk.llm_score).toEqual(expect.any(Number));
        }
        const exploited = page.body.items.find((f: Json) => f.vulnerability_id === ids.exploited);
        const factors = exploited.risk.factors.map((f: { name: string }) => f.name);
        if (source === "kev") {
          expect(exploited.exploitation.kev_listed).toBeNull();
          expect(factors).toContain("kev unknown");
        } else {
          expect(exploited.exploitation).toMatchObject({
            kev_listed: true,
            kev_date_added: expect.any(String),
          });
          expect(factors).toContain("in kev");
        }
        if (source === "epss") {
          expect(exploited.exploitation.epss_score).toBeNull();
          expect(factors).toContain("epss unknown");
        } else {
          expect(exploited.exploitation.epss_score).toBeCloseTo(0.92);
        }
        const { rows: stored } = await stack.database.pool.query(
          "select count(*)::int as n from container_findings where scan_id = $1 and risk_score is not null",
          [scanId],
        );
        expect(stored[0].n).toBe(FINDINGS_PER_REPORT);

        // The analysis was asked with what was known: nothing invented for the faulted source.
        const prompts = promptsAbout(ids.exploited);
        expect(prompts).toHaveLength(1);
        if (source === "kev") expect(prompts[0]).not.toContain('"in_kev": true');
        else expect(prompts[0]).toContain('"in_kev": true');
        if (source === "epss") expect(prompts[0]).not.toContain('"epss_band"');
        else expect(prompts[0]).toContain('"epss_band": "≥ 50%"');

        // Not permanent: once the source is back and the back-off over, a reconcile gets the real answers.
        faulted.setFault(null);
        const before = faulted.requests.length;
        await stack.database.pool.query(
          `update cve_enrichment set ${source}_fresh_until = now() - interval '1 second'
         where vulnerability_id = any($1) and ${source}_outcome = 'error'`,
          [Object.values(ids)],
        );
        await stack.worker?.reconcile();
        const healthy = expectedOutcomes(ids, null);
        await expect
          .poll(async () => outcomesOf(await enrichmentRows(ids)), { timeout: 15_000, interval: 100 })
          .toEqual(healthy);
        const recovered = await enrichmentRows(ids);
        expect(outcomesOf(recovered)).toEqual(healthy);
        for (const id of askedAbout(ids, source)) {
          expect(recovered[id][`${source}_error`], id).toBeNull();
          expect(recovered[id][`${source}_failures`], id).toBe(0);
        }
        const retried = faulted.requests.slice(before);
        expect(retried.length).toBeGreaterThan(0);
        for (const request of retried) expect(request.fault).toBeUndefined();
      },
    );
  });

  // What a KEV outage must not do besides: lose its reason on the advisory that inherits it, or be
  // told to the model as "not listed".
  describe("while KEV is down", () => {
    let ids: CaseIds;
    beforeAll(async () => {
      ({ ids } = await faultedUpload("kev", { kind: "http", status: 503 }));
    });

    it("should give the advisory's KEV error, copied from its alias, the alias's reason", async () => {
      const cve = await getJson(`${stack.url}/api/cve/${ids.advisory}`);
      expect(cve.status).toBe(200);
      expect(cve.body.aliases).toEqual([ids.alias]);
      expect(cve.body.sources.kev.outcome).toBe("error");
      expect(cve.body.sources.kev.error).toEqual(
        expect.stringMatching(new RegExp(`^${ids.alias}: .*\\b503\\b`)),
      );
    });

    // (A later KEV `found` makes the analysis stale, so it is asked again once KEV answers.)
    it("should not tell the model a CVE is absent from KEV when KEV could not be asked", async () => {
      const prompts = promptsAbout(ids.exploited);
      expect(prompts).toHaveLength(1);
      expect(prompts[0]).toContain('"epss_band": "≥ 50%"');
      expect(prompts[0]).not.toContain('"in_kev"');
    });
  });
});
