import { readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, startTestApi, type TestApi, uploadReport } from "./helpers.js";

const base = JSON.parse(readTrivyFixture("trivy/main/alpine-310.json.golden").toString("utf8"));
const enc = encodeURIComponent;

/** A distinct report of `image` (its own content, so never a duplicate) created at `createdAt`. */
function reportAt(image: string, createdAt: string | undefined, tag: string): string {
  const report = structuredClone(base);
  report.ArtifactName = image;
  if (createdAt === undefined) delete report.CreatedAt;
  else report.CreatedAt = createdAt;
  report.Results[0].Vulnerabilities[0].FixedVersion = `fix-${tag}`;
  return JSON.stringify(report);
}

describe("the latest scan of an image is its newest report", () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  async function upload(image: string, createdAt: string | undefined, tag: string): Promise<number> {
    const answer = await uploadReport(api.url, reportAt(image, createdAt, tag));
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.scan.id;
  }

  async function latestOf(image: string): Promise<{ byName: number; findings: number; analysis: number }> {
    const [byName, findings, analysis] = await Promise.all([
      getJson(`${api.url}/api/container/scans/${enc(image)}`),
      getJson(`${api.url}/api/container/scans/${enc(image)}/findings`),
      getJson(`${api.url}/api/container/scans/${enc(image)}/analysis`),
    ]);
    return { byName: byName.body.id, findings: findings.body.scan_id, analysis: analysis.body.scan_id };
  }

  function everywhere(id: number) {
    return { byName: id, findings: id, analysis: id };
  }

  it("should keep the newer report latest when an older one is uploaded after it", async () => {
    const newer = await upload("latest/a:1", "2026-03-01T10:00:00Z", "newer");
    await upload("latest/a:1", "2025-01-01T10:00:00Z", "older");
    expect(await latestOf("latest/a:1")).toEqual(everywhere(newer));
  });

  it("should compare report times across time zones, not as text", async () => {
    // 09:30 at +02:00 is 07:30 UTC, earlier than 08:00 UTC.
    const utc = await upload("latest/tz:1", "2026-03-01T08:00:00Z", "utc");
    await upload("latest/tz:1", "2026-03-01T09:30:00+02:00", "offset");
    expect(await latestOf("latest/tz:1")).toEqual(everywhere(utc));
  });

  it("should order a report without CreatedAt by its ingest time", async () => {
    const undated = await upload("latest/none:1", undefined, "undated");
    // Uploaded later, but created years before the undated report was ingested.
    await upload("latest/none:1", "2020-05-05T00:00:00Z", "dated-old");
    expect(await latestOf("latest/none:1")).toEqual(everywhere(undated));
    const future = await upload("latest/none:1", "2999-01-01T00:00:00Z", "dated-future");
    expect(await latestOf("latest/none:1")).toEqual(everywhere(future));
  });

  it("should break ties between equally dated reports by ingest order", async () => {
    const at = "2026-02-02T02:02:02.123456789Z";
    const later = "2026-02-02T02:02:02.124Z";
    await upload("latest/tie:1", at, "first");
    const newest = await upload("latest/tie:1", later, "newest");
    await upload("latest/tie:1", at, "second");
    expect(await latestOf("latest/tie:1")).toEqual(everywhere(newest));
    const sameAsNewest = await upload("latest/tie:1", later, "tied-with-newest");
    expect(await latestOf("latest/tie:1")).toEqual(everywhere(sameAsNewest));
  });

  it("should pick the newest of many reports uploaded in shuffled order", async () => {
    const days = [5, 1, 9, 3, 7, 2, 8, 4, 6];
    const ids = new Map<number, number>();
    for (const day of days)
      ids.set(day, await upload("latest/many:1", `2026-01-0${day}T00:00:00Z`, `d${day}`));
    expect(await latestOf("latest/many:1")).toEqual(everywhere(ids.get(9) as number));
  });
});
