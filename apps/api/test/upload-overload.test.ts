import { countRows, createTestDatabase, type TestDatabase } from "@vulntriage/test-utils";
import { generateReport } from "@vulntriage/test-utils/generate-report";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApiProcess } from "./api-process.js";
import { uploadReport } from "./helpers.js";

let database: TestDatabase;
let api: ApiProcess;
// Generated before the API starts: building a 10k report blocks this process for seconds, long
// enough for the server's keep-alive timeout to close a pooled socket that fetch, its timers held
// up by the same block, still believes open (a POST on it fails with EPIPE, not retried).
const reports = {
  same: generateReport(10_000, 101),
  distinct: Array.from({ length: 10 }, (_, i) => generateReport(10_000, 200 + i)),
  strict: Array.from({ length: 4 }, (_, i) => generateReport(10_000, 300 + i)),
};

beforeAll(async () => {
  database = await createTestDatabase();
  // The defaults: MAX_CONCURRENT_UPLOADS 2, UPLOAD_WAIT_MS 5000.
  api = await startApiProcess(database.url);
});

afterAll(async () => {
  await api?.stop();
  await database?.drop();
});

/** Polls /health until `work` settles: every status it answered. */
async function healthDuring<T>(work: Promise<T>): Promise<{ result: T; statuses: number[] }> {
  const statuses: number[] = [];
  let done = false;
  const result = work.finally(() => {
    done = true;
  });
  while (!done) {
    const response = await fetch(`${api.url}/health`, { signal: AbortSignal.timeout(10_000) }).catch(
      () => undefined,
    );
    statuses.push(response?.status ?? 0);
    await response?.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { result: await result, statuses };
}

describe("the compiled API under concurrent uploads", () => {
  it("should answer twenty identical uploads of a new report with one 201 and nineteen duplicates", async () => {
    const report = reports.same;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => uploadReport(api.url, report, { imageName: "overload/same:1" })),
    );
    const statuses = answers.map((a) => a.status).sort((a, b) => a - b);
    expect(statuses).toEqual([...Array(19).fill(200), 201]);
    expect(answers.filter((a) => a.status === 200).every((a) => a.body.duplicate === true)).toBe(true);
    expect(new Set(answers.map((a) => a.body.scan.id)).size).toBe(1);
    expect(await countRows(database)).toMatchObject({ scans: 1, findings: 10_000, reports: 1 });
  });

  it("should answer ten distinct uploads at once with 201 or 503 busy, never another 5xx, while /health answers 200", async () => {
    const before = await countRows(database);
    const { result: answers, statuses: health } = await healthDuring(
      Promise.all(
        reports.distinct.map((r, i) => uploadReport(api.url, r, { imageName: `overload/distinct:${i}` })),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    const busy = answers.filter((a) => a.status === 503);
    expect(created.length + busy.length).toBe(10);
    expect(created.length).toBeGreaterThan(0);
    for (const refused of busy) {
      expect(refused.body.error).toBe("busy");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((status) => status === 200)).toBe(true);
    expect(await countRows(database)).toMatchObject({
      scans: before.scans + created.length,
      findings: before.findings + 10_000 * created.length,
    });
  });

  it("should refuse uploads beyond the cap with 503 busy and Retry-After when there is no wait", async () => {
    const strict = await startApiProcess(database.url, { MAX_CONCURRENT_UPLOADS: "1", UPLOAD_WAIT_MS: "0" });
    try {
      const answers = await Promise.all(
        reports.strict.map((r, i) => uploadReport(strict.url, r, { imageName: `overload/strict:${i}` })),
      );
      const busy = answers.filter((a) => a.status === 503);
      expect(answers.filter((a) => a.status === 201).length).toBeGreaterThanOrEqual(1);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      expect(busy.length + answers.filter((a) => a.status === 201).length).toBe(4);
      for (const refused of busy) {
        expect(refused.body).toEqual({
          error: "busy",
          message: expect.stringContaining("send this one again"),
        });
        expect(refused.headers.get("retry-after")).toBe("1");
      }
    } finally {
      await strict.stop();
    }
  });
});
