import { createKevSource, type EnrichmentSources } from "@vulntriage/core";
import {
  kevEntry,
  readTrivyFixture,
  type StubEpss,
  type StubKev,
  startStubEpss,
  startStubKev,
  testSharedStore,
} from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deleteKeys,
  getJson,
  type Stack,
  startStack,
  statusCounts,
  uploadReport,
  waitFor,
} from "./helpers.js";

// KEV's catalogue and NVD's window live in Redis: each source gets a store of its own.
const store = testSharedStore();
afterAll(() => store.close());

const FIXTURE = "securecodebox/main/juice-shop-v10.2.0.json";

describe("enrichment after an upload", () => {
  let stack: Stack;
  let kev: StubKev;
  let epss: StubEpss;

  beforeAll(async () => {
    [kev, epss] = await Promise.all([startStubKev(), startStubEpss()]);
    const sources: EnrichmentSources = {
      // Generous: a timeout on a loaded machine would be recorded as an error and fail the counts.
      kev: createKevSource({
        url: kev.feedUrl,
        refreshMs: 3_600_000,
        timeoutMs: 10_000,
        shared: store.own(),
      }),
      epssUrl: epss.endpoint,
      nvd: null,
      osvApiRoot: null,
      timeoutMs: 10_000,
      kevFreshMs: 3_600_000,
      leaseMs: 60_000,
      backoff: { firstMs: 60_000, maxMs: 3_600_000 },
    };
    stack = await startStack({ enrichment: sources });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([kev?.close(), epss?.close()]);
  });

  async function enriched(scanId: number): Promise<void> {
    await waitFor(`scan ${scanId} enriched`, async () => {
      const { rows } = await stack.database.pool.query(
        "select enriched_at is not null as done from container_scans where id = $1",
        [scanId],
      );
      return rows[0]?.done === true;
    });
  }

  async function outcomes(scanId: number) {
    const { rows } = await stack.database.pool.query<{ id: string; kev: string; epss: string }>(
      `select e.vulnerability_id as id, e.kev_outcome as kev, e.epss_outcome as epss
       from cve_enrichment e
       where e.vulnerability_id in (select vulnerability_id from container_findings where scan_id = $1)`,
      [scanId],
    );
    return rows;
  }

  it("should give every vulnerability id of the report a KEV and an EPSS answer, with no further call", async () => {
    kev.setEntries([
      kevEntry("CVE-2019-10744"),
      kevEntry("CVE-2020-8203", { knownRansomwareCampaignUse: "Known" }),
    ]);
    const uploaded = await uploadReport(stack.url, readTrivyFixture(FIXTURE));
    expect(uploaded.status).toBe(201);
    const scanId = uploaded.body.scan.id as number;
    await enriched(scanId);
    const rows = await outcomes(scanId);
    const { rows: distinct } = await stack.database.pool.query(
      "select count(distinct vulnerability_id)::int as n from container_findings where scan_id = $1",
      [scanId],
    );
    expect(rows).toHaveLength(distinct[0].n);
    for (const row of rows) {
      if (/^CVE-/.test(row.id)) {
        expect(["found", "not_listed"], row.id).toContain(row.kev);
        expect(["found", "not_listed"], row.id).toContain(row.epss);
      } else {
        expect(row, row.id).toMatchObject({ kev: "not_checked", epss: "not_checked" });
      }
    }
    expect(
      rows
        .filter((r) => r.kev === "found")
        .map((r) => r.id)
        .sort(),
    ).toEqual(["CVE-2019-10744", "CVE-2020-8203"]);
    expect(kev.feedCalls).toBe(1);
    // The analysis is not held up by enrichment.
    await waitFor(
      "analysis done",
      async () => (await statusCounts(stack.database, scanId)).completed === uploaded.body.findings_ingested,
    );
  });

  it("should show each finding its exploitation and an explained risk, KEV-listed ones at least 7", async () => {
    const { rows } = await stack.database.pool.query<{ id: number; vuln: string }>(
      `select id::int, vulnerability_id as vuln from container_findings
       where scan_id = (select min(id) from container_scans) and vulnerability_id in ('CVE-2019-10744', 'CVE-2020-8203')
       order by id`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const detail = await getJson(`${stack.url}/api/container/findings/${row.id}`);
      expect(detail.body.exploitation).toMatchObject({
        kev_listed: true,
        kev_date_added: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
      expect(detail.body.exploitation.ransomware).toBe(row.vuln === "CVE-2020-8203");
      expect(detail.body.risk.score).toBeGreaterThanOrEqual(7);
      expect(detail.body.risk.factors).toContainEqual({ name: "in kev", value: true, points: 3 });
    }
    const page = await getJson(
      `${stack.url}/api/container/scans/${rows.length ? await firstScan() : 0}/findings?limit=1000`,
    );
    const notListed = page.body.items.find(
      (f: { vulnerability_id: string }) =>
        /^CVE-/.test(f.vulnerability_id) && !["CVE-2019-10744", "CVE-2020-8203"].includes(f.vulnerability_id),
    );
    expect(notListed.exploitation.kev_listed).toBe(false);
    expect(notListed.risk.factors).toContainEqual({ name: "not in kev", value: false, points: 0 });
  });

  it("should answer GET /api/cve/:id with every source's outcome, 404 for an id no scan has", async () => {
    const listed = await getJson(`${stack.url}/api/cve/CVE-2020-8203`);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({
      vulnerability_id: "CVE-2020-8203",
      aliases: [],
      kev: {
        date_added: expect.any(String),
        known_ransomware_campaign_use: true,
        required_action: expect.any(String),
      },
      nvd: null,
      sources: {
        kev: { outcome: "found", checked_at: expect.any(String), error: null },
        epss: { outcome: expect.stringMatching(/^(found|not_listed)$/) },
        nvd: { outcome: "not_checked", checked_at: null },
        osv: { outcome: "not_checked", checked_at: null },
      },
    });
    const { rows } = await stack.database.pool.query<{ id: string }>(
      "select vulnerability_id as id from cve_enrichment where vulnerability_id not like 'CVE-%' limit 1",
    );
    if (rows[0]) {
      const other = await getJson(`${stack.url}/api/cve/${encodeURIComponent(rows[0].id)}`);
      expect(other.body.sources.kev.outcome).toBe("not_checked");
    }
    expect((await getJson(`${stack.url}/api/cve/CVE-1999-0001`)).status).toBe(404);
    expect((await getJson(`${stack.url}/api/cve/${encodeURIComponent("../etc")}`)).status).toBe(400);
  });

  it("should sort by risk, filter on KEV, EPSS and risk, and give the scan its KEV count and highest risk", async () => {
    const scanId = await firstScan();
    const byRisk = await getJson(`${stack.url}/api/container/scans/${scanId}/findings?sort=risk&limit=1000`);
    const scores = byRisk.body.items.map((f: { risk: { score: number } }) => f.risk.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const kevOnly = await getJson(`${stack.url}/api/container/scans/${scanId}/findings?kev=true&limit=1000`);
    expect(kevOnly.body.total).toBeGreaterThan(0);
    for (const f of kevOnly.body.items) expect(f.exploitation.kev_listed).toBe(true);
    const notKev = await getJson(`${stack.url}/api/container/scans/${scanId}/findings?kev=false&limit=1000`);
    expect(kevOnly.body.total + notKev.body.total).toBeLessThanOrEqual(byRisk.body.total);
    for (const f of notKev.body.items) expect(f.exploitation.kev_listed).toBe(false);
    const likely = await getJson(
      `${stack.url}/api/container/scans/${scanId}/findings?min_epss=0.5&limit=1000`,
    );
    for (const f of likely.body.items) expect(f.exploitation.epss_score).toBeGreaterThanOrEqual(0.5);
    const risky = await getJson(`${stack.url}/api/container/scans/${scanId}/findings?min_risk=7&limit=1000`);
    expect(risky.body.total).toBe(scores.filter((n: number) => n >= 7).length);
    expect((await getJson(`${stack.url}/api/container/scans/${scanId}/findings?min_epss=2`)).status).toBe(
      400,
    );
    expect((await getJson(`${stack.url}/api/container/scans/${scanId}/findings?sort=name`)).status).toBe(400);

    const { body: page } = await getJson(`${stack.url}/api/container/scans?limit=500`);
    const scan = page.items.find((s: { id: number }) => s.id === scanId);
    expect(scan.kev_count).toBe(
      new Set(kevOnly.body.items.map((f: { vulnerability_id: string }) => f.vulnerability_id)).size,
    );
    expect(scan.max_risk_score).toBe(Math.max(...scores));
  });

  async function firstScan(): Promise<number> {
    const { rows } = await stack.database.pool.query("select min(id)::int as id from container_scans");
    return rows[0].id;
  }

  it("should not ask again about ids another scan already had answered", async () => {
    const before = epss.requests.length;
    const again = await uploadReport(stack.url, readTrivyFixture(FIXTURE), "another/image:1");
    expect([200, 201]).toContain(again.status);
    const second = await uploadReport(
      stack.url,
      readTrivyFixture("securecodebox/main/juice-shop-v12.10.2.json"),
    );
    expect(second.status).toBe(201);
    await enriched(second.body.scan.id);
    const { rows: first } = await stack.database.pool.query<{ id: string }>(
      "select distinct vulnerability_id as id from container_findings where scan_id = (select min(id) from container_scans)",
    );
    const known = new Set(first.map((r) => r.id));
    const askedNow = epss.requests
      .slice(before)
      .flatMap((r) => (r.query.cve ?? "").split(","))
      .filter(Boolean);
    expect(askedNow.filter((id) => known.has(id))).toEqual([]);
    expect(new Set(askedNow).size).toBe(askedNow.length);
  });

  it("should re-queue a scan whose enrichment job was lost, at the next reconcile", async () => {
    const uploaded = await uploadReport(stack.url, readTrivyFixture("defectdojo/scheme_2_many_vulns.json"));
    const scanId = uploaded.body.scan.id as number;
    await enriched(scanId);
    await stack.database.pool.query("update container_scans set enriched_at = null where id = $1", [scanId]);
    await deleteKeys(stack.prefix);
    await stack.worker?.reconcile();
    await enriched(scanId);
  });

  it("should ask again, at a reconcile, about ids whose answer went stale, and only those", async () => {
    const { rows } = await stack.database.pool.query<{ id: string }>(
      "select vulnerability_id as id from cve_enrichment where epss_outcome in ('found', 'not_listed') order by vulnerability_id limit 2",
    );
    const stale = rows.map((r) => r.id);
    expect(stale).toHaveLength(2);
    await stack.database.pool.query(
      "update cve_enrichment set epss_fresh_until = now() - interval '1 second' where vulnerability_id = any($1)",
      [stale],
    );
    const before = epss.requests.length;
    const since = (await stack.database.pool.query<{ now: Date }>("select now()")).rows[0]?.now;
    await stack.worker?.reconcile();
    await waitFor("the stale ids asked again", async () => {
      const { rows: fresh } = await stack.database.pool.query(
        // An answer, not an error's back-off or the claim's lease (both also push fresh_until on).
        `select count(*)::int as n from cve_enrichment where vulnerability_id = any($1)
         and epss_fresh_until > now() and epss_outcome in ('found', 'not_listed') and epss_checked_at > $2`,
        [stale, since],
      );
      return fresh[0].n === 2;
    });
    const asked = epss.requests
      .slice(before)
      .flatMap((r) => (r.query.cve ?? "").split(","))
      .filter(Boolean);
    expect(asked.sort()).toEqual([...stale].sort());
  });

  it("should leave uploads and analyses untouched by failing sources, and record why", async () => {
    kev.setEntries([kevEntry("CVE-2018-3721")]); // a new catalogue: the cached one is within its refresh period anyway
    epss.setFault({ kind: "html", status: 200 });
    try {
      const uploaded = await uploadReport(stack.url, readTrivyFixture("defectdojo/issue_9092.json"));
      expect(uploaded.status).toBe(201);
      const scanId = uploaded.body.scan.id as number;
      await enriched(scanId);
      await waitFor(
        "analysis done",
        async () =>
          (await statusCounts(stack.database, scanId)).completed === uploaded.body.findings_ingested,
      );
      const { rows } = await stack.database.pool.query<{ outcome: string; error: string | null }>(
        `select epss_outcome as outcome, epss_error as error from cve_enrichment
         where vulnerability_id like 'CVE-%' and epss_checked_at is not null
           and vulnerability_id in (select vulnerability_id from container_findings where scan_id = $1)
           and epss_outcome = 'error'`,
        [scanId],
      );
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.error).toMatch(/HTML/);
    } finally {
      epss.setFault(null);
    }
  });
});
