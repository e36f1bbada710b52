import { readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, startTestApi, type TestApi, uploadReport } from "./helpers.js";

// Report files and API answers are untyped JSON here: the assertions are what check their shape.
type Json = any;

const SEVERITY_ORDER = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];

type Entry = { result: Json; vuln: Json };

/**
 * The findings a report must produce, read straight from the file: one per (target, vulnerability
 * id, package, installed version, package path), Results[].Vulnerabilities only.
 */
function expectedEntries(bytes: Buffer): Map<string, Entry> {
  const doc = JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, ""));
  const results: Json[] = doc === null ? [] : Array.isArray(doc) ? doc : (doc.Results ?? []);
  const entries = new Map<string, Entry>();
  for (const result of results) {
    for (const vuln of result.Vulnerabilities ?? []) {
      const key = findingKey(
        result.Target ?? "",
        vuln.VulnerabilityID,
        vuln.PkgName,
        vuln.InstalledVersion,
        vuln.PkgPath,
      );
      const existing = entries.get(key);
      if (!existing || (existing.vuln.FixedVersion == null && vuln.FixedVersion != null))
        entries.set(key, { result, vuln });
    }
  }
  return entries;
}

function findingKey(target: string, id: unknown, pkg: unknown, installed: unknown, pkgPath: unknown): string {
  return JSON.stringify([target, id ?? null, pkg ?? null, installed ?? null, pkgPath ?? null]);
}

function keyOf(item: Json): string {
  return findingKey(item.target, item.vulnerability_id, item.pkg_name, item.installed_version, item.pkg_path);
}

function countBy(entries: Iterable<Entry>, pick: (e: Entry) => unknown): Map<unknown, number> {
  const counts = new Map<unknown, number>();
  for (const e of entries) counts.set(pick(e), (counts.get(pick(e)) ?? 0) + 1);
  return counts;
}

function expectSeverityThenIdOrder(items: Json[]): void {
  for (let i = 1; i < items.length; i++) {
    const previous = SEVERITY_ORDER.indexOf(items[i - 1].severity);
    const current = SEVERITY_ORDER.indexOf(items[i].severity);
    expect(current, `item ${i}`).toBeGreaterThanOrEqual(0);
    expect(current, `item ${i} (${items[i].severity} after ${items[i - 1].severity})`).toBeGreaterThanOrEqual(
      previous,
    );
    if (current === previous) expect(items[i].id, `item ${i}`).toBeGreaterThan(items[i - 1].id);
  }
}

async function allFindings(url: string, scanId: number, query = ""): Promise<Json[]> {
  const items: Json[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await getJson(
      `${url}/api/container/scans/${scanId}/findings?limit=1000&offset=${offset}${query}`,
    );
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    items.push(...page.body.items);
    if (page.body.items.length < 1000) return items;
  }
}

function expectErrorBody(body: Json, error: string): void {
  expect(Object.keys(body).sort()).toEqual(["error", "message"]);
  expect(body.error).toBe(error);
  expect(typeof body.message).toBe("string");
  expect(body.message.length).toBeGreaterThan(0);
}

const JUICE = "securecodebox/main/juice-shop-v10.2.0.json";
// A legacy report with all five severities and more than 1,000 findings.
const PYTHON = "defectdojo/trivy_v0.2.1_python3.json";
const SMALL = "trivy/main/alpine-310.json.golden";
const LIST_SCANS = 55;

describe("reading scans and findings", () => {
  let api: TestApi;
  const juiceBytes = readTrivyFixture(JUICE);
  const juice = expectedEntries(juiceBytes);
  const pythonBytes = readTrivyFixture(PYTHON);
  const python = expectedEntries(pythonBytes);
  let juiceScan: Json;
  let pythonScan: Json;
  /** Every scan id in upload order. */
  const uploaded: number[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    const j = await uploadReport(api.url, juiceBytes, { imageName: "bkimminich/juice-shop:v10.2.0" });
    expect(j.status, JSON.stringify(j.body)).toBe(201);
    juiceScan = j.body.scan;
    uploaded.push(juiceScan.id);
    const p = await uploadReport(api.url, pythonBytes, { imageName: "python:3" });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    pythonScan = p.body.scan;
    uploaded.push(pythonScan.id);
    const small = readTrivyFixture(SMALL);
    for (let i = 0; i < LIST_SCANS; i++) {
      const s = await uploadReport(api.url, small, { imageName: `list/app-${i}:1` });
      expect(s.status, JSON.stringify(s.body)).toBe(201);
      uploaded.push(s.body.scan.id);
    }
  });
  afterAll(async () => {
    await api?.close();
  });

  describe("GET /api/container/scans", () => {
    it("should list newest first with the default limit of 50 and the right total", async () => {
      const page = await getJson(`${api.url}/api/container/scans`);
      expect(page.status).toBe(200);
      expect(page.body.limit).toBe(50);
      expect(page.body.offset).toBe(0);
      expect(page.body.total).toBe(uploaded.length);
      expect(page.body.items).toHaveLength(50);
      const newestFirst = [...uploaded].reverse();
      expect(page.body.items.map((s: Json) => s.id)).toEqual(newestFirst.slice(0, 50));
      for (let i = 1; i < page.body.items.length; i++) {
        expect(Date.parse(page.body.items[i].ingested_at)).toBeLessThanOrEqual(
          Date.parse(page.body.items[i - 1].ingested_at),
        );
      }
    });

    it("should page with limit and offset", async () => {
      const newestFirst = [...uploaded].reverse();
      const page = await getJson(`${api.url}/api/container/scans?limit=10&offset=5`);
      expect(page.status).toBe(200);
      expect(page.body.limit).toBe(10);
      expect(page.body.offset).toBe(5);
      expect(page.body.total).toBe(uploaded.length);
      expect(page.body.items.map((s: Json) => s.id)).toEqual(newestFirst.slice(5, 15));

      const last = await getJson(`${api.url}/api/container/scans?limit=10&offset=${uploaded.length - 3}`);
      expect(last.body.items.map((s: Json) => s.id)).toEqual(newestFirst.slice(-3));

      const beyond = await getJson(`${api.url}/api/container/scans?offset=${uploaded.length + 10}`);
      expect(beyond.status).toBe(200);
      expect(beyond.body.items).toEqual([]);
      expect(beyond.body.total).toBe(uploaded.length);
    });

    it("should accept limit=500 and return every scan", async () => {
      const page = await getJson(`${api.url}/api/container/scans?limit=500`);
      expect(page.status).toBe(200);
      expect(page.body.items.map((s: Json) => s.id)).toEqual([...uploaded].reverse());
    });

    it("should return each scan with the counts of its report", async () => {
      const page = await getJson(`${api.url}/api/container/scans?limit=500`);
      const listed = page.body.items.find((s: Json) => s.id === juiceScan.id);
      expect(listed).toEqual(juiceScan);
      const bySeverity = countBy(juice.values(), (e) => e.vuln.Severity);
      expect(listed.finding_count).toBe(juice.size);
      expect(listed.critical_count).toBe(bySeverity.get("CRITICAL") ?? 0);
      expect(listed.high_count).toBe(bySeverity.get("HIGH") ?? 0);
      expect(listed.medium_count).toBe(bySeverity.get("MEDIUM") ?? 0);
      expect(listed.low_count).toBe(bySeverity.get("LOW") ?? 0);
      expect(listed.unknown_count).toBe(bySeverity.get("UNKNOWN") ?? 0);
    });

    it.each([
      ["limit=501", "limit"],
      ["limit=0", "limit"],
      ["limit=-5", "limit"],
      ["offset=-1", "offset"],
      ["limit=abc", "limit"],
      ["limit=1.5", "limit"],
      ["offset=abc", "offset"],
    ])("should answer 400 for %s", async (query, field) => {
      const answer = await getJson(`${api.url}/api/container/scans?${query}`);
      expect(answer.status).toBe(400);
      expectErrorBody(answer.body, "invalid_request");
      expect(answer.body.message).toContain(field);
    });
  });

  describe("GET /api/container/scans/:identifier/findings", () => {
    it("should default to 100 findings a page with the total of the report", async () => {
      expect(juice.size).toBeGreaterThan(100);
      const page = await getJson(`${api.url}/api/container/scans/${juiceScan.id}/findings`);
      expect(page.status).toBe(200);
      expect(page.body.scan_id).toBe(juiceScan.id);
      expect(page.body.limit).toBe(100);
      expect(page.body.offset).toBe(0);
      expect(page.body.total).toBe(juice.size);
      expect(page.body.items).toHaveLength(100);
    });

    it("should hold exactly the report's findings, ordered by severity then id", async () => {
      const items = await allFindings(api.url, juiceScan.id);
      expect(items).toHaveLength(juice.size);
      expect(new Set(items.map(keyOf))).toEqual(new Set(juice.keys()));
      expectSeverityThenIdOrder(items);
      expect(items[0].severity).toBe("CRITICAL");
    });

    it("should order all five severities, CRITICAL to UNKNOWN, across pages of 1000", async () => {
      expect(python.size).toBeGreaterThan(1000);
      const items = await allFindings(api.url, pythonScan.id);
      expect(items).toHaveLength(python.size);
      expect(new Set(items.map((f) => f.id)).size).toBe(python.size);
      expect(new Set(items.map(keyOf))).toEqual(new Set(python.keys()));
      expectSeverityThenIdOrder(items);
      const seen = [...new Set(items.map((f) => f.severity))];
      expect(seen).toEqual(SEVERITY_ORDER);
      const expected = countBy(python.values(), (e) => e.vuln.Severity);
      for (const severity of SEVERITY_ORDER) {
        expect(items.filter((f) => f.severity === severity).length, severity).toBe(expected.get(severity));
      }
    });

    it("should page with limit and offset without gaps or repeats", async () => {
      const all = await allFindings(api.url, juiceScan.id);
      const paged: Json[] = [];
      for (let offset = 0; offset < juice.size; offset += 37) {
        const page = await getJson(
          `${api.url}/api/container/scans/${juiceScan.id}/findings?limit=37&offset=${offset}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.limit).toBe(37);
        expect(page.body.offset).toBe(offset);
        expect(page.body.total).toBe(juice.size);
        paged.push(...page.body.items);
      }
      expect(paged.map((f) => f.id)).toEqual(all.map((f) => f.id));
    });

    it("should answer the same by image name as by numeric id", async () => {
      const byId = await getJson(`${api.url}/api/container/scans/${juiceScan.id}/findings?limit=20&offset=3`);
      const byName = await getJson(
        `${api.url}/api/container/scans/${encodeURIComponent("bkimminich/juice-shop:v10.2.0")}/findings?limit=20&offset=3`,
      );
      expect(byName.status).toBe(200);
      expect(byName.body).toEqual(byId.body);
    });

    it("should accept limit=1000 and refuse limit=1001", async () => {
      const ok = await getJson(`${api.url}/api/container/scans/${pythonScan.id}/findings?limit=1000`);
      expect(ok.status).toBe(200);
      expect(ok.body.items).toHaveLength(1000);
      expect(ok.body.total).toBe(python.size);
      const tooMany = await getJson(`${api.url}/api/container/scans/${pythonScan.id}/findings?limit=1001`);
      expect(tooMany.status).toBe(400);
      expectErrorBody(tooMany.body, "invalid_request");
      expect(tooMany.body.message).toContain("limit");
    });

    it.each(["limit=0", "offset=-1", "limit=ten"])("should answer 400 for %s", async (query) => {
      const answer = await getJson(`${api.url}/api/container/scans/${juiceScan.id}/findings?${query}`);
      expect(answer.status).toBe(400);
      expectErrorBody(answer.body, "invalid_request");
    });

    it("should filter by severity=CRITICAL,HIGH with the right total", async () => {
      const expected = [...juice.values()].filter((e) => ["CRITICAL", "HIGH"].includes(e.vuln.Severity));
      expect(expected.length).toBeGreaterThan(0);
      const page = await getJson(
        `${api.url}/api/container/scans/${juiceScan.id}/findings?severity=CRITICAL,HIGH&limit=1000`,
      );
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(expected.length);
      expect(page.body.items).toHaveLength(expected.length);
      expect(new Set(page.body.items.map((f: Json) => f.severity))).toEqual(new Set(["CRITICAL", "HIGH"]));
      expectSeverityThenIdOrder(page.body.items);

      const firstPage = await getJson(
        `${api.url}/api/container/scans/${juiceScan.id}/findings?severity=CRITICAL,HIGH&limit=10`,
      );
      expect(firstPage.body.total).toBe(expected.length);
      expect(firstPage.body.items).toHaveLength(10);
    });

    it("should accept lowercase and spaced severities (severity=critical, severity= low , medium)", async () => {
      const bySeverity = countBy(juice.values(), (e) => e.vuln.Severity);
      const critical = await getJson(
        `${api.url}/api/container/scans/${juiceScan.id}/findings?severity=critical&limit=1000`,
      );
      expect(critical.status).toBe(200);
      expect(critical.body.total).toBe(bySeverity.get("CRITICAL"));
      expect(critical.body.items.every((f: Json) => f.severity === "CRITICAL")).toBe(true);

      const mixed = await getJson(
        `${api.url}/api/container/scans/${juiceScan.id}/findings?severity=${encodeURIComponent(" low , Medium")}&limit=1000`,
      );
      expect(mixed.status).toBe(200);
      expect(mixed.body.total).toBe((bySeverity.get("LOW") ?? 0) + (bySeverity.get("MEDIUM") ?? 0));
      expectSeverityThenIdOrder(mixed.body.items);
    });

    it("should filter by status=fixed, alone and with a severity", async () => {
      const fixed = [...juice.values()].filter((e) => e.vuln.Status === "fixed");
      const affected = [...juice.values()].filter((e) => e.vuln.Status === "affected");
      expect(fixed.length).toBeGreaterThan(0);
      expect(affected.length).toBeGreaterThan(0);

      const page = await getJson(
        `${api.url}/api/container/scans/${juiceScan.id}/findings?status=fixed&limit=1000`,
      );
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(fixed.length);
      expect(page.body.items.every((f: Json) => f.status === "fixed")).toBe(true);

      const both = await getJson(
        `${api.url}/api/container/scans/${juiceScan.id}/findings?status=affected,fixed&limit=1000`,
      );
      expect(both.body.total).toBe(fixed.length + affected.length);

      const fixedHigh = fixed.filter((e) => e.vuln.Severity === "HIGH").length;
      const combined = await getJson(
        `${api.url}/api/container/scans/${juiceScan.id}/findings?status=fixed&severity=HIGH&limit=1000`,
      );
      expect(combined.body.total).toBe(fixedHigh);
      expect(combined.body.items.every((f: Json) => f.status === "fixed" && f.severity === "HIGH")).toBe(
        true,
      );
    });

    it.each([
      ["severity=SEVERE", /severity/],
      ["severity=CRITICAL,bogus", /severity/],
      ["status=broken", /status/],
    ])("should answer 400 for %s", async (query, message) => {
      const answer = await getJson(`${api.url}/api/container/scans/${juiceScan.id}/findings?${query}`);
      expect(answer.status).toBe(400);
      expectErrorBody(answer.body, "invalid_request");
      expect(answer.body.message).toMatch(message);
    });

    it("should answer 404 for an unknown scan id", async () => {
      const unknown = Math.max(...uploaded) + 1000;
      const answer = await getJson(`${api.url}/api/container/scans/${unknown}/findings`);
      expect(answer.status).toBe(404);
      expectErrorBody(answer.body, "not_found");
      expect(answer.body.message).toContain(String(unknown));
    });

    it.each([String(2 ** 53 + 1), "9007199254740992", "123456789012345678901234567890"])(
      "should answer 400 for scan id %s, beyond 2^53",
      async (id) => {
        const answer = await getJson(`${api.url}/api/container/scans/${id}/findings`);
        expect(answer.status).toBe(400);
        expectErrorBody(answer.body, "invalid_request");
        expect(answer.body.message).toContain(id);
      },
    );
  });

  describe("GET /api/container/findings/:finding_id", () => {
    it("should return every field of every finding, with cve_data equal to the report's vulnerability", async () => {
      const items = await allFindings(api.url, juiceScan.id);
      expect(items).toHaveLength(juice.size);
      for (const item of items) {
        const entry = juice.get(keyOf(item));
        expect(entry, keyOf(item)).toBeDefined();
        const { result, vuln } = entry as Entry;
        const detail = await getJson(`${api.url}/api/container/findings/${item.id}`);
        expect(detail.status).toBe(200);
        expect(detail.body).toEqual({
          id: item.id,
          scan_id: juiceScan.id,
          vulnerability_id: vuln.VulnerabilityID ?? null,
          pkg_name: vuln.PkgName,
          pkg_id: vuln.PkgID ?? null,
          purl: vuln.PkgIdentifier?.PURL ?? null,
          installed_version: vuln.InstalledVersion ?? null,
          fixed_version: vuln.FixedVersion ?? null,
          status: vuln.Status ?? null,
          severity: vuln.Severity,
          target: result.Target,
          class: result.Class ?? null,
          type: result.Type ?? null,
          pkg_path: vuln.PkgPath ?? null,
          title: vuln.Title ?? null,
          primary_url: vuln.PrimaryURL ?? null,
          cvss: vuln.CVSS ?? null,
          cwe_ids: vuln.CweIDs ?? null,
          cve_data: vuln,
          llm_analysis_summary: null,
          llm_analysis_recommendations: null,
          llm_analysis_risk_score: null,
          llm_analysis_timestamp: null,
          llm_analysis_prompt_hash: null,
          llm_analysis_model: null,
          llm_analysis_status: null,
          llm_analysis_error: null,
          // Nothing enriched it yet: exploitation is unknown, and says so.
          risk: {
            score: expect.any(Number),
            band: expect.stringMatching(/^(low|medium|high|critical)$/),
            factors: expect.arrayContaining([
              { name: "epss unknown", value: null, points: 0.5 },
              { name: "kev unknown", value: null, points: 0.5 },
            ]),
            llm_score: null,
            disagreement: false,
          },
          exploitation: {
            epss_score: null,
            epss_percentile: null,
            epss_date: null,
            kev_listed: null,
            kev_date_added: null,
            kev_due_date: null,
            ransomware: null,
          },
        });
        // The list item is the detail without cve_data.
        const { cve_data: _cveData, ...withoutCveData } = detail.body;
        expect(item).toEqual(withoutCveData);
      }
    });

    it("should return a legacy report's finding with its original vulnerability object", async () => {
      const items = await allFindings(api.url, pythonScan.id, "&severity=UNKNOWN");
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        const { result, vuln } = python.get(keyOf(item)) as Entry;
        const detail = await getJson(`${api.url}/api/container/findings/${item.id}`);
        expect(detail.status).toBe(200);
        expect(detail.body.cve_data).toEqual(vuln);
        expect(detail.body.target).toBe(result.Target);
        expect(detail.body.severity).toBe("UNKNOWN");
      }
    });

    it("should answer 404 for an unknown finding id", async () => {
      const answer = await getJson(`${api.url}/api/container/findings/987654321`);
      expect(answer.status).toBe(404);
      expectErrorBody(answer.body, "not_found");
      expect(answer.body.message).toContain("987654321");
    });

    it.each(["abc", "-1", "0", "1.5", "1e3", "0x10", "%20", String(2 ** 53 + 1)])(
      "should answer 400 for finding id %s",
      async (id) => {
        const answer = await getJson(`${api.url}/api/container/findings/${id}`);
        expect(answer.status).toBe(400);
        expectErrorBody(answer.body, "invalid_request");
        expect(answer.body.message).toContain("finding_id");
      },
    );
  });

  describe("routing and documentation", () => {
    it.each([
      ["GET", "/api/nope"],
      ["GET", "/api/container/scans/1/findings/extra"],
      ["DELETE", "/api/container/scans"],
      ["POST", "/api/container/findings/1"],
    ])("should answer %s %s with 404 JSON", async (method, path) => {
      const response = await fetch(`${api.url}${path}`, { method });
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      const body = (await response.json()) as Json;
      expectErrorBody(body, "not_found");
      expect(body.message).toContain(path);
    });

    it("should publish an OpenAPI 3 document where every /api operation has an operationId and tags", async () => {
      const doc = await getJson(`${api.url}/docs/json`);
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toMatch(/^3\./);
      const paths = Object.keys(doc.body.paths);
      for (const expected of [
        "/api/container/scans",
        "/api/container/scans/{artifactname}",
        "/api/container/scans/{identifier}/findings",
        "/api/container/findings/{finding_id}",
      ]) {
        expect(paths).toContain(expected);
      }
      const operationIds: string[] = [];
      const methods = ["get", "post", "put", "patch", "delete", "head", "options"];
      for (const path of paths.filter((p) => p.startsWith("/api/"))) {
        for (const method of methods) {
          const operation = doc.body.paths[path][method];
          if (!operation) continue;
          expect(typeof operation.operationId, `${method} ${path}`).toBe("string");
          expect(operation.operationId.length, `${method} ${path}`).toBeGreaterThan(0);
          expect(Array.isArray(operation.tags), `${method} ${path}`).toBe(true);
          expect(operation.tags.length, `${method} ${path}`).toBeGreaterThan(0);
          operationIds.push(operation.operationId);
        }
      }
      expect(operationIds.length).toBeGreaterThanOrEqual(5);
      expect(new Set(operationIds).size).toBe(operationIds.length);
    });
  });
});
