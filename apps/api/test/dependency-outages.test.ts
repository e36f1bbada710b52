import {
  countRows,
  createTestDatabase,
  redisUrl,
  startTcpProxy,
  type TcpProxy,
  type TestDatabase,
} from "@vulntriage/test-utils";
import { generateReport } from "@vulntriage/test-utils/generate-report";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApiProcess } from "./api-process.js";
import { getJson, uploadReport } from "./helpers.js";

let database: TestDatabase;
let postgres: TcpProxy;
let redis: TcpProxy;
let api: ApiProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  postgres = await startTcpProxy(database.url);
  redis = await startTcpProxy(redisUrl());
  // The API reaches both only through proxies this test cuts and restores; the servers stay up.
  api = await startApiProcess(postgres.through(database.url), { REDIS_URL: redis.through(redisUrl()) });
});

afterAll(async () => {
  await api?.stop();
  await postgres?.close();
  await redis?.close();
  await database?.drop();
});

async function waitForHealth(status: number): Promise<{ status: number; body: any }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const health = await getJson(`${api.url}/health`);
    if (health.status === status || Date.now() > deadline) return health;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the compiled API when a dependency goes away", () => {
  it("should answer 503 while PostgreSQL is unreachable, and recover without a restart", async () => {
    await postgres.cut();
    const down = await waitForHealth(503);
    expect(down.status).toBe(503);
    expect(down.body.checks).toMatchObject({ postgres: expect.not.stringMatching(/^ok$/), redis: "ok" });
    const refused = await uploadReport(api.url, generateReport(50, 3), { imageName: "outage/pg:1" });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe("dependency_unavailable");
    expect((await getJson(`${api.url}/api/container/scans`)).status).toBe(503);

    await postgres.restore();
    expect((await waitForHealth(200)).status).toBe(200);
    const stored = await uploadReport(api.url, generateReport(50, 3), { imageName: "outage/pg:1" });
    expect(stored.status).toBe(201);
    expect((await getJson(`${api.url}/api/container/scans`)).body.total).toBe(1);
    expect(api.child.exitCode).toBeNull();
  });

  it("should store uploads while Redis is unreachable, their findings pending for the reconciler", async () => {
    const before = await countRows(database);
    const inFlight = Promise.all(
      [11, 12, 13].map((seed) =>
        uploadReport(api.url, generateReport(2_000, seed), { imageName: `outage/redis:${seed}` }),
      ),
    );
    // Cut while they are on their way: each one's enqueue meets a Redis that is gone.
    await redis.cut();
    const uploads = await inFlight;
    expect((await waitForHealth(503)).body.checks).toMatchObject({ postgres: "ok" });
    expect(uploads.map((u) => u.status)).toEqual([201, 201, 201]);
    expect(await countRows(database)).toEqual({
      scans: before.scans + 3,
      findings: before.findings + 6_000,
      reports: before.reports + 3,
    });
    // Analysis on ingest: written pending by the upload's own transaction, queued later by the
    // worker's reconciler (apps/worker/test/redis-loss.test.ts) since Redis missed the job.
    const { rows } = await database.pool.query<{ n: number }>(
      `select count(*)::int as n from container_findings f join container_scans s on s.id = f.scan_id
       where s.image_name like 'outage/redis:%' and f.llm_analysis_status = 'pending'`,
    );
    expect(rows[0]?.n).toBe(6_000);

    await redis.restore();
    expect((await waitForHealth(200)).status).toBe(200);
    expect(
      (await uploadReport(api.url, generateReport(50, 14), { imageName: "outage/redis:14" })).status,
    ).toBe(201);
    expect(api.child.exitCode).toBeNull();
  });
});
