import { createOllamaPool, silentLogger } from "@vulntriage/core";
import { listTrivyFixtures, readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectedFor,
  type FakeOllamaProcess,
  findingRows,
  type Stack,
  startFakeOllamaProcess,
  startStack,
  statusCounts,
  uploadReport,
  waitFor,
} from "./helpers.js";

// Uploads a few reports at a time: the API streams each into PostgreSQL while the worker analyses.
const UPLOAD_PARALLELISM = 3;
// Checks this many findings' expected prompts at once (each is one primary-key read and a hash).
const CHECK_PARALLELISM = 8;

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

describe("every real Trivy report in test/fixtures/trivy", () => {
  let stack: Stack;
  // Some 8,000 streamed answers: the fake runs in its own process so that its token streaming does not
  // share the test process's thread with the API and the worker.
  let fake: FakeOllamaProcess;

  beforeAll(async () => {
    [stack, fake] = await Promise.all([startStack({ startWorker: false }), startFakeOllamaProcess()]);
    stack.startWorker({
      analyzer: createOllamaPool({
        servers: [{ url: fake.url, concurrency: 16 }],
        timeoutMs: 30_000,
        log: silentLogger,
      }),
      concurrency: 16,
    });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it("should end with every finding completed with exactly the model's answer, one call per distinct prompt", async () => {
    const fixtures = listTrivyFixtures();
    expect(fixtures.length).toBeGreaterThan(50);

    const uploads = await inBatches(fixtures, UPLOAD_PARALLELISM, async (fixture) => {
      const uploaded = await uploadReport(stack.url, readTrivyFixture(fixture));
      return { fixture, ...uploaded };
    });
    const refused = uploads.filter((u) => u.status === 422);
    // Only `trivy k8s` cluster reports are refused; everything else is a scan.
    for (const u of refused) expect(u.body.message, u.fixture).toMatch(/k8s/);
    expect(refused.length).toBeGreaterThan(0);
    for (const u of uploads.filter((u) => u.status !== 422)) {
      expect([200, 201], `${u.fixture}: ${JSON.stringify(u.body)}`).toContain(u.status);
    }
    const ingested = uploads
      .filter((u) => u.status === 201)
      .reduce((n, u) => n + (u.body.findings_ingested as number), 0);
    expect(ingested).toBeGreaterThan(5_000);

    const counts = await waitFor(
      "nothing pending or processing",
      async () => {
        const c = await statusCounts(stack.database);
        return !c.pending && !c.processing && c;
      },
      90_000,
    );
    expect(counts).toEqual({ completed: ingested });

    const rows = await findingRows(stack.database);
    expect(rows).toHaveLength(ingested);
    const expectations = await inBatches(rows, CHECK_PARALLELISM, (row) =>
      expectedFor(stack.database, stack.ctx, row.id),
    );
    const mismatches: string[] = [];
    for (const [i, row] of rows.entries()) {
      const { promptHash, expected } = expectations[i] as (typeof expectations)[number];
      const actual = { hash: row.analysisHash, prompt: row.promptHash, ...pick(row) };
      const wanted = {
        hash: promptHash,
        prompt: promptHash,
        summary: expected.summary,
        recommendations: expected.recommendations,
        score: expected.riskScore,
      };
      if (JSON.stringify(actual) !== JSON.stringify(wanted) && mismatches.length < 5) {
        mismatches.push(`finding ${row.id}: ${JSON.stringify(actual)} != ${JSON.stringify(wanted)}`);
      }
    }
    expect(mismatches).toEqual([]);

    const distinct = new Set(expectations.map((e) => e.promptHash)).size;
    expect(distinct).toBeLessThan(ingested);
    const stats = await fake.stats();
    expect(stats.chatCalls).toBe(distinct);
    expect(stats.outcomes).toEqual({ completed: distinct });
    expect(stack.fake.chatCalls).toBe(0);
    const { rows: cache } = await stack.database.pool.query(
      "select count(*)::int as n, count(*) filter (where status = 'completed')::int as completed from llm_analyses",
    );
    expect(cache[0]).toEqual({ n: distinct, completed: distinct });
  }, 150_000); // about 8,000 streamed answers: some 50 s on two cores; room left for a busy machine
});

function pick(row: { summary: string | null; recommendations: string[] | null; score: number | null }) {
  return { summary: row.summary, recommendations: row.recommendations, score: row.score };
}
