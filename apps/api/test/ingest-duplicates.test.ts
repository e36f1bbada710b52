import { gzipSync } from "node:zlib";
import { countRows, readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApi, type TestApi, uploadReport } from "./helpers.js";

const REPORT = "securecodebox/main/juice-shop-v12.10.2.json";

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).reverse())
      out[key] = reverseKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

describe("uploading a report that is already stored", () => {
  let api: TestApi;
  const bytes = readTrivyFixture(REPORT);
  const doc = JSON.parse(bytes.toString());

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });
  beforeEach(async () => {
    await api.database.pool.query("truncate container_scans cascade");
  });

  it("should answer 200 duplicate with the first scan and write nothing, whatever the formatting", async () => {
    const first = await uploadReport(api.url, bytes);
    expect(first.status).toBe(201);
    const stored = await countRows(api.database);

    const variants: Record<string, Buffer | string> = {
      identical: bytes,
      compact: JSON.stringify(doc),
      "reordered keys": JSON.stringify(reverseKeys(doc), null, 3),
      "byte-order mark": `\uFEFF${bytes.toString()}`,
      "CRLF line endings": bytes.toString().replaceAll("\n", "\r\n"),
      "BOM, CRLF, tabs and reordered keys": `\uFEFF${JSON.stringify(reverseKeys(doc), null, "\t").replaceAll("\n", "\r\n")}`,
    };
    for (const [variant, body] of Object.entries(variants)) {
      const again = await uploadReport(api.url, body);
      expect(again.status, variant).toBe(200);
      expect(again.body.duplicate, variant).toBe(true);
      expect(again.body.scan, variant).toEqual(first.body.scan);
    }
    const gzipped = await uploadReport(api.url, gzipSync(bytes), { headers: { "content-encoding": "gzip" } });
    expect(gzipped.status).toBe(200);
    expect(gzipped.body.scan.id).toBe(first.body.scan.id);
    expect(await countRows(api.database)).toEqual(stored);
  });

  it("should store a changed report as a new scan", async () => {
    const first = await uploadReport(api.url, bytes);
    const changed = structuredClone(doc);
    changed.Results[0].Vulnerabilities[0].FixedVersion = "9.9.9";
    const second = await uploadReport(api.url, JSON.stringify(changed));
    expect(second.status).toBe(201);
    expect(second.body.scan.id).not.toBe(first.body.scan.id);
    expect(second.body.scan.report_hash).not.toBe(first.body.scan.report_hash);
  });

  it("should file the same content under another image name as a scan of that image", async () => {
    const first = await uploadReport(api.url, bytes);
    const other = await uploadReport(api.url, bytes, { imageName: "mirror.example.com/juice-shop:v12.10.2" });
    expect(other.status).toBe(201);
    expect(other.body.scan.image_name).toBe("mirror.example.com/juice-shop:v12.10.2");
    const sameAsArtifact = await uploadReport(api.url, bytes, { imageName: doc.ArtifactName });
    expect(sameAsArtifact.status).toBe(200);
    expect(sameAsArtifact.body.scan.id).toBe(first.body.scan.id);
  });

  it("should create exactly one scan when twenty uploads of a new report race", async () => {
    const racers = await Promise.all(Array.from({ length: 20 }, () => uploadReport(api.url, bytes)));
    const created = racers.filter((r) => r.status === 201);
    const duplicates = racers.filter((r) => r.status === 200);
    expect(created).toHaveLength(1);
    expect(duplicates).toHaveLength(19);
    for (const duplicate of duplicates) {
      expect(duplicate.body.duplicate).toBe(true);
      expect(duplicate.body.scan.id).toBe(created[0]?.body.scan.id);
    }
    const rows = await countRows(api.database);
    expect(rows).toEqual({ scans: 1, findings: created[0]?.body.findings_ingested, reports: 1 });
  });

  it("should store a gzip upload's bytes as they were sent", async () => {
    const compressed = gzipSync(bytes, { level: 9 });
    const upload = await uploadReport(api.url, compressed, { headers: { "content-encoding": "gzip" } });
    expect(upload.status).toBe(201);
    const { rows } = await api.database.pool.query(
      "select content, original_bytes from container_scan_reports where scan_id = $1",
      [upload.body.scan.id],
    );
    expect(rows[0].content.equals(compressed)).toBe(true);
    expect(rows[0].original_bytes).toBe(bytes.length);
  });
});

describe("a report that turns out invalid after thousands of findings were streamed", () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  function bigReport(findings: number) {
    return {
      SchemaVersion: 2,
      ArtifactName: "big/app:1",
      Results: [
        {
          Target: "big/app:1 (debian 12.8)",
          Class: "os-pkgs",
          Type: "debian",
          Vulnerabilities: Array.from({ length: findings }, (_, i) => ({
            VulnerabilityID: `CVE-2024-${10_000 + i}`,
            PkgName: `pkg-${i % 50}`,
            InstalledVersion: `1.${i}`,
            Severity: "HIGH",
            Title: `title ${i}`,
          })),
        },
      ],
    };
  }

  it("should answer 422, write nothing and keep serving", async () => {
    const report = bigReport(5_000);
    (report.Results[0]?.Vulnerabilities[4_999] as Record<string, unknown>).Severity = 7;
    const before = await countRows(api.database);
    const refused = await uploadReport(api.url, JSON.stringify(report));
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe("Results[0].Vulnerabilities[4999].Severity must be a string");
    expect(await countRows(api.database)).toEqual(before);

    const fixed = bigReport(5_000);
    const accepted = await uploadReport(api.url, JSON.stringify(fixed));
    expect(accepted.status).toBe(201);
    expect(accepted.body.findings_ingested).toBe(5_000);
    expect((await countRows(api.database)).findings).toBe(before.findings + 5_000);
  });

  it("should keep the fuller of two conflicting rows even after the first was streamed", async () => {
    const report = bigReport(1_200);
    const vulns = report.Results[0]?.Vulnerabilities as Record<string, unknown>[];
    vulns.push({ ...vulns[3], FixedVersion: "1.3-fixed", Severity: "CRITICAL" });
    const upload = await uploadReport(
      api.url,
      JSON.stringify({ ...report, ArtifactName: "conflicting/app:1" }),
    );
    expect(upload.status).toBe(201);
    expect(upload.body.findings_ingested).toBe(1_200);
    expect(upload.body.scan.critical_count).toBe(1);
    expect(upload.body.scan.high_count).toBe(1_199);
    const { rows } = await api.database.pool.query(
      "select fixed_version, severity, cve_data->>'FixedVersion' as cve_fixed from container_findings where scan_id = $1 and vulnerability_id = $2",
      [upload.body.scan.id, "CVE-2024-10003"],
    );
    expect(rows).toEqual([{ fixed_version: "1.3-fixed", severity: "CRITICAL", cve_fixed: "1.3-fixed" }]);
  });
});
