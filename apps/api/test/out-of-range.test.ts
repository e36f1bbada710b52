import { readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, startTestApi, type TestApi, uploadReport } from "./helpers.js";

// Numbers and dates a client can send that PostgreSQL (or JavaScript) cannot hold: each is the
// client's mistake, answered 400 or 422 with a message, never a 500.

const report = JSON.parse(readTrivyFixture("trivy/main/alpine-310.json.golden").toString("utf8"));

function withCreatedAt(createdAt: unknown): string {
  return JSON.stringify({ ...report, CreatedAt: createdAt });
}

describe("out-of-range numbers and dates", () => {
  let api: TestApi;
  let scanId: number;

  beforeAll(async () => {
    api = await startTestApi();
    const upload = await uploadReport(api.url, JSON.stringify(report), { imageName: "range/app:1" });
    expect(upload.status).toBe(201);
    scanId = upload.body.scan.id;
  });
  afterAll(async () => {
    await api?.close();
  });

  it.each([
    "/api/container/scans?offset=1e20",
    "/api/container/scans?offset=9223372036854775808",
    "/api/container/scans?offset=2147483648",
    "/api/container/scans?limit=1e20",
    "/api/container/scans?offset=-1",
    "/api/container/scans/range%2Fapp%3A1/findings?offset=1e20",
    "/api/container/scans/@ID@/findings?offset=99999999999999999999",
    "/api/container/scans/@ID@/findings?min_risk=1e20",
    "/api/container/scans/@ID@/findings?min_epss=1e308",
    "/api/container/scans/99999999999999999999/findings",
    "/api/container/findings/99999999999999999999",
    "/api/llm/analyze/container/1e20",
    // Path ids are integers in the document; Ajv would coerce these to one, the digits check refuses them.
    "/api/container/findings/1e3",
    "/api/container/findings/0x10",
    "/api/container/findings/%201",
    "/api/llm/analyze/container/1.0",
    "/api/scans/+1",
    "/api/scans/-1",
    "/api/scans/0",
    "/api/scans/9007199254740992",
  ])("should answer GET %s with 400", async (path) => {
    const answer = await getJson(`${api.url}${path.replace("@ID@", String(scanId))}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body.error).toBe("invalid_request");
  });

  it("should still page at the largest offset it accepts", async () => {
    const answer = await getJson(`${api.url}/api/container/scans?offset=2147483647`);
    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual([]);
  });

  it("should answer a retry for scan_id 1e20 with 400", async () => {
    const response = await fetch(`${api.url}/api/llm/analyze/retry`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"status":"failed","scan_id":1e20}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_request");
  });

  it.each([
    "-271821-04-20T00:00:00Z",
    "+275760-09-13T00:00:00Z",
    "+010000-01-01T00:00:00Z",
    "-000001-12-31T23:59:59Z",
    "0000-12-31T23:00:00Z",
    "0001-01-01T00:00:01Z",
    "0099-12-31T23:59:59Z",
  ])("should refuse a report created at %s with 422 naming CreatedAt", async (createdAt) => {
    const answer = await uploadReport(api.url, withCreatedAt(createdAt), {
      imageName: `range/date:${createdAt}`,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(422);
    expect(answer.body.error).toBe("invalid_report");
    expect(answer.body.message).toMatch(/^CreatedAt .* out of range/);
  });

  it.each([
    ["0100-01-01T00:00:00Z", "0100-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999Z"],
    ["2026-01-21T10:19:22.484900675+01:00", "2026-01-21T09:19:22.484Z"],
  ])("should store the edge date %s", async (createdAt, stored) => {
    const answer = await uploadReport(api.url, withCreatedAt(createdAt), {
      imageName: `range/edge:${createdAt}`,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.scan.report_created_at).toBe(stored);
    const read = await getJson(`${api.url}/api/container/scans/${answer.body.scan.id}/findings?limit=1`);
    expect(read.status).toBe(200);
  });

  it("should read Go's zero time (an unset time.Time) as no CreatedAt", async () => {
    const answer = await uploadReport(api.url, withCreatedAt("0001-01-01T00:00:00Z"), {
      imageName: "range/zero:1",
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.scan.report_created_at).toBeNull();
  });
});
