import { adminUrl, countRows, createTestDatabase, type TestDatabase } from "@vulntriage/test-utils";
import { generateReport } from "@vulntriage/test-utils/generate-report";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApiProcess, waitForCopy } from "./api-process.js";
import { uploadReport } from "./helpers.js";

// Large enough that its COPY streams for a while: the test cuts it on the way.
const big = generateReport(25_000);
const small = generateReport(200, 7);

let database: TestDatabase;
let admin: pg.Pool;
let api: ApiProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  admin = new pg.Pool({ connectionString: adminUrl(), max: 2 });
  api = await startApiProcess(database.url, { SHUTDOWN_GRACE_MS: "30000" });
});

afterAll(async () => {
  await api?.stop();
  await admin?.end();
  await database?.drop();
});

describe("the compiled API when PostgreSQL drops a connection", () => {
  it("should answer 503 for the upload whose COPY lost its connection, write nothing and serve the next", async () => {
    const upload = uploadReport(api.url, big, { imageName: "faults/copy:1" });
    const pid = await waitForCopy(admin, database.name);
    await admin.query("select pg_terminate_backend($1)", [pid]);

    const answer = await upload;
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      error: "dependency_unavailable",
      message: "the database is not answering; try again",
    });
    expect(await countRows(database)).toEqual({ scans: 0, findings: 0, reports: 0 });

    // Same process, same pool: the next uploads (the same report too) are stored.
    expect(api.child.exitCode).toBeNull();
    expect((await uploadReport(api.url, small, { imageName: "faults/next:1" })).status).toBe(201);
    const again = await uploadReport(api.url, big, { imageName: "faults/copy:1" });
    expect(again.status).toBe(201);
    expect(again.body.findings_ingested).toBe(25_000);
    expect(api.output()).not.toContain("Connection terminated unexpectedly");
  });

  it("should finish an upload in flight on SIGTERM, then exit 0", async () => {
    const before = await countRows(database);
    const upload = uploadReport(api.url, big, { imageName: "faults/sigterm:1" });
    await waitForCopy(admin, database.name);
    api.child.kill("SIGTERM");

    const answer = await upload;
    expect(answer.status).toBe(201);
    expect(answer.body.findings_ingested).toBe(25_000);
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(await countRows(database)).toEqual({
      scans: before.scans + 1,
      findings: before.findings + 25_000,
      reports: before.reports + 1,
    });
  });
});
