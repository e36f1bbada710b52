import { countRows, listTrivyFixtures, readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, startTestApi, type TestApi, uploadReport } from "./helpers.js";

// What the uniqueness rule says a report holds, computed independently of the ingest code:
// one finding per (target, vulnerability id, package, installed version, package path), counting
// only Results[].Vulnerabilities (never ExperimentalModifiedFindings).
function expectedFindingCount(bytes: Buffer): number | "k8s" {
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  const doc = JSON.parse(text);
  if (doc && !Array.isArray(doc) && ("ClusterName" in doc || "Resources" in doc)) return "k8s";
  const results: any[] = doc === null ? [] : Array.isArray(doc) ? doc : (doc.Results ?? []);
  const keys = new Set<string>();
  for (const result of results) {
    for (const v of result.Vulnerabilities ?? []) {
      keys.add(
        JSON.stringify([result.Target ?? "", v.VulnerabilityID, v.PkgName, v.InstalledVersion, v.PkgPath]),
      );
    }
  }
  return keys.size;
}

describe("ingesting every real Trivy report in the corpus", () => {
  let api: TestApi;
  const fixtures = listTrivyFixtures();

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it("should have the whole corpus to test", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(70);
  });

  it.each(fixtures)("%s ingests with the right finding count or is refused clearly", async (name) => {
    const bytes = readTrivyFixture(name);
    const expected = expectedFindingCount(bytes);
    // Several fixtures are the same empty report; a per-file image name keeps each one a scan of its own.
    const before = await countRows(api.database);
    const upload = await uploadReport(api.url, bytes, { imageName: `fixture/${name}` });

    if (expected === "k8s") {
      expect(upload.status).toBe(422);
      expect(upload.body.error).toBe("unsupported_report");
      expect(upload.body.message).toMatch(/trivy k8s/);
      expect(await countRows(api.database)).toEqual(before);
      return;
    }

    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    expect(upload.body.duplicate).toBe(false);
    expect(upload.body.findings_ingested).toBe(expected);
    const scan = upload.body.scan;
    expect(scan.finding_count).toBe(expected);
    expect(
      scan.critical_count + scan.high_count + scan.medium_count + scan.low_count + scan.unknown_count,
    ).toBe(expected);
    expect(upload.headers.get("location")).toBe(`/api/container/scans/${scan.id}/findings`);

    const after = await countRows(api.database);
    expect(after.scans).toBe(before.scans + 1);
    expect(after.findings).toBe(before.findings + expected);
    expect(after.reports).toBe(before.reports + 1);

    const findings = await getJson(`${api.url}/api/container/scans/${scan.id}/findings?limit=1000`);
    expect(findings.status).toBe(200);
    expect(findings.body.total).toBe(expected);
    expect(findings.body.items).toHaveLength(Math.min(expected, 1000));
  });

  it("should keep the original report bytes, recoverable from the stored gzip", async () => {
    const name = "securecodebox/main/juice-shop-v12.10.2.json";
    const bytes = readTrivyFixture(name);
    const upload = await uploadReport(api.url, bytes, { imageName: "original-bytes-check" });
    expect(upload.status).toBe(201);
    const { rows } = await api.database.pool.query(
      "select content, original_bytes from container_scan_reports where scan_id = $1",
      [upload.body.scan.id],
    );
    const { gunzipSync } = await import("node:zlib");
    expect(rows[0].original_bytes).toBe(bytes.length);
    expect(gunzipSync(rows[0].content).equals(bytes)).toBe(true);
  });
});
