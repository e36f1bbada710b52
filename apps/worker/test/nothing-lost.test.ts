import { buildApp } from "@vulntriage/api/app";
import { createAnalysisQueue } from "@vulntriage/core";
import { listen } from "@vulntriage/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import {
  chatRequestsFor,
  deleteKeys,
  expectedFor,
  findingRows,
  type Stack,
  sleep,
  spawnWorkerProcess,
  startStack,
  statusCounts,
  trivyReport,
  uploadReport,
  type WorkerProcess,
  waitFor,
} from "./helpers.js";

let reportNo = 0;

/** A report of `count` vulnerabilities in distinct packages: one prompt each. */
function report(tag: string, count: number): string {
  reportNo++;
  return trivyReport(
    `registry.example.com/lost/${tag}:${reportNo}`,
    Array.from({ length: count }, (_, i) => ({
      id: `CVE-2023-${5000 + reportNo * 10 + i}`,
      pkg: `${tag}-lib${String.fromCharCode(97 + i)}`,
      severity: i === 0 ? "CRITICAL" : "MEDIUM",
    })),
  );
}

async function ingest(url: string, tag: string, count: number) {
  const uploaded = await uploadReport(url, report(tag, count));
  expect(uploaded.status).toBe(201);
  expect(uploaded.body.findings_ingested).toBe(count);
  return uploaded.body.scan.id as number;
}

/** Every finding of the scan is completed with exactly the fake's default answer for its prompt. */
async function expectAllCompletedWithCorpus(stack: Stack, scanId: number) {
  const rows = await findingRows(stack.database, scanId);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    const { promptHash, expected } = await expectedFor(stack.database, stack.ctx, row.id);
    expect(row.status).toBe("completed");
    expect(row.analysisHash).toBe(promptHash);
    expect({ summary: row.summary, recommendations: row.recommendations, score: row.score }).toEqual({
      summary: expected.summary,
      recommendations: expected.recommendations,
      score: expected.riskScore,
    });
  }
  return rows;
}

async function waitAllCompleted(stack: Stack, scanId: number, count: number, timeoutMs = 15_000) {
  await waitFor(
    "every finding completed",
    async () => (await statusCounts(stack.database, scanId)).completed === count,
    timeoutMs,
  );
}

async function distinctPrompts(stack: Stack): Promise<number> {
  const { rows } = await stack.database.pool.query(
    "select count(distinct llm_prompt_hash)::int as n from container_findings",
  );
  return rows[0].n;
}

const processes: WorkerProcess[] = [];
const stacks: Stack[] = [];

function spawnWorker(stack: Stack, env: Record<string, string> = {}): WorkerProcess {
  const worker = spawnWorkerProcess(stack, env);
  processes.push(worker);
  return worker;
}

async function newStack(options: Parameters<typeof startStack>[0]) {
  const stack = await startStack(options);
  stacks.push(stack);
  return stack;
}

afterEach(async () => {
  for (const worker of processes.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
    await worker.exited;
  }
  for (const stack of stacks.splice(0)) await stack.close();
});

describe("nothing is lost when Redis loses the work", () => {
  it("should restore the jobs from PostgreSQL after the queue's keys were flushed", async () => {
    const stack = await newStack({ startWorker: false });
    const scanId = await ingest(stack.url, "flushed", 4);
    await deleteKeys(stack.prefix);
    expect(await stack.queue.queue.getJobCounts()).toMatchObject({ waiting: 0, prioritized: 0, active: 0 });
    expect(await statusCounts(stack.database, scanId)).toEqual({ pending: 4 });
    await sleep(200);
    expect(stack.fake.chatCalls).toBe(0);

    stack.startWorker(); // its reconciler runs at start
    await waitAllCompleted(stack, scanId, 4);
    await expectAllCompletedWithCorpus(stack, scanId);
    expect(stack.fake.chatCalls).toBe(await distinctPrompts(stack));
    expect(stack.fake.chatCalls).toBe(4);
  });

  it("should accept an upload while Redis is unreachable and analyse it once a worker reconciles", async () => {
    const stack = await newStack({ startWorker: false });
    const deadQueue = createAnalysisQueue({
      redisUrl: "redis://127.0.0.1:1",
      prefix: stack.prefix,
      maxAttempts: 3,
      retryDelayMs: 50,
    });
    const deadApp = await buildApp({ ctx: { ...stack.ctx, queue: deadQueue }, maxReportBytes: 1024 * 1024 });
    try {
      const url = await listen(deadApp);
      const started = performance.now();
      const scanId = await ingest(url, "noredis", 3);
      // Enqueueing fails fast rather than holding the upload.
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(await statusCounts(stack.database, scanId)).toEqual({ pending: 3 });
      // Asking for one of them is answered from PostgreSQL too, with the dead queue.
      const [first] = await findingRows(stack.database, scanId);
      const asked = await fetch(`${url}/api/llm/analyze/container/${first?.id}`);
      expect(asked.status).toBe(202);
      expect(await asked.json()).toMatchObject({ status: "pending" });

      stack.startWorker(); // on the real Redis, same database
      await waitAllCompleted(stack, scanId, 3);
      await expectAllCompletedWithCorpus(stack, scanId);
      expect(stack.fake.chatCalls).toBe(3);
    } finally {
      await deadApp.close();
      await Promise.race([deadQueue.close(), sleep(2_000)]);
    }
  });
});

describe("nothing is lost when a worker process dies or stops", () => {
  it("should run a job again after its worker was killed with SIGKILL mid-call, and complete every finding", async () => {
    const stack = await newStack({ startWorker: false });
    stack.fake.setFault({ kind: "slow", chunkDelayMs: 200 });
    const scanId = await ingest(stack.url, "sigkill", 3);

    const first = spawnWorker(stack);
    await waitFor("a chat request in flight", async () =>
      stack.fake.requests.some((r) => r.path === "/api/chat" && r.outcome === "pending"),
    );
    await waitFor(
      "a finding processing",
      async () => ((await statusCounts(stack.database, scanId)).processing ?? 0) > 0,
    );
    first.child.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    // The dead worker leaves its claim behind: only the queue and the database can bring it back.
    const killedRequest = stack.fake.requests.find((r) => r.path === "/api/chat");
    await waitFor("the fake saw the connection close", async () => killedRequest?.outcome !== "pending");
    expect(killedRequest?.outcome).toBe("client-closed");
    expect((await statusCounts(stack.database, scanId)).processing).toBeGreaterThan(0);
    expect((await statusCounts(stack.database, scanId)).completed ?? 0).toBe(0);

    stack.fake.setFault(null);
    const second = spawnWorker(stack);
    await waitAllCompleted(stack, scanId, 3, 15_000).catch((error) => {
      throw new Error(`${(error as Error).message}\nworker output:\n${second.output()}`);
    });
    const rows = await expectAllCompletedWithCorpus(stack, scanId);
    expect(rows.some((r) => r.status === "processing")).toBe(false);
    expect(await statusCounts(stack.database)).toEqual({ completed: 3 });
    // Every prompt was answered to the end exactly once; the killed call is the only extra one.
    for (const row of rows) {
      const { user } = await expectedFor(stack.database, stack.ctx, row.id);
      expect(chatRequestsFor(stack.fake, user).filter((r) => r.outcome === "completed")).toHaveLength(1);
    }
    expect(stack.fake.chatCalls).toBe(3 + 1);
  });

  it("should exit 0 on SIGTERM within the shutdown deadline while a call is in flight, and lose nothing", async () => {
    const stack = await newStack({ startWorker: false });
    stack.fake.setFault({ kind: "slow", chunkDelayMs: 200 });
    const scanId = await ingest(stack.url, "sigterm", 3);

    const shutdownTimeoutMs = 1_000;
    const first = spawnWorker(stack, { WORKER_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
    await waitFor("a chat request in flight", async () =>
      stack.fake.requests.some((r) => r.path === "/api/chat" && r.outcome === "pending"),
    );
    const callsAtSignal = stack.fake.chatCalls;
    const signalled = performance.now();
    first.child.kill("SIGTERM");
    const exit = await first.exited;
    const took = performance.now() - signalled;
    expect(exit, first.output()).toEqual({ code: 0, signal: null });
    // The deadline, plus the time to abort the call and close the connections.
    expect(took).toBeLessThan(shutdownTimeoutMs + 2_000);
    // The answer could not finish in time: the worker cut its call instead of waiting for it.
    expect(stack.fake.requests.filter((r) => r.path === "/api/chat").map((r) => r.outcome)).toEqual([
      "client-closed",
    ]);
    expect(stack.fake.chatCalls).toBe(callsAtSignal);
    expect((await statusCounts(stack.database, scanId)).completed ?? 0).toBe(0);

    stack.fake.setFault(null);
    const second = spawnWorker(stack);
    await waitAllCompleted(stack, scanId, 3).catch((error) => {
      throw new Error(`${(error as Error).message}\nworker output:\n${second.output()}`);
    });
    await expectAllCompletedWithCorpus(stack, scanId);
    expect(await statusCounts(stack.database)).toEqual({ completed: 3 });
    expect(stack.fake.chatCalls).toBe(3 + 1);
  });

  it("should let the running job finish on SIGTERM when it can within the deadline, and take no new one", async () => {
    const stack = await newStack({ startWorker: false });
    // About a second per answer: well inside the 8 s deadline.
    stack.fake.setFault({ kind: "slow", chunkDelayMs: 10 });
    const scanId = await ingest(stack.url, "graceful", 3);

    const first = spawnWorker(stack, { WORKER_SHUTDOWN_TIMEOUT_MS: "8000" });
    await waitFor("a chat request in flight", async () =>
      stack.fake.requests.some((r) => r.path === "/api/chat" && r.outcome === "pending"),
    );
    first.child.kill("SIGTERM");
    expect(await first.exited, first.output()).toEqual({ code: 0, signal: null });
    // The call in flight was answered and stored; nothing new was started after the signal.
    expect(stack.fake.requests.filter((r) => r.path === "/api/chat").map((r) => r.outcome)).toEqual([
      "completed",
    ]);
    expect(await statusCounts(stack.database, scanId)).toEqual({ completed: 1, pending: 2 });

    stack.fake.setFault(null);
    spawnWorker(stack);
    await waitAllCompleted(stack, scanId, 3);
    await expectAllCompletedWithCorpus(stack, scanId);
    expect(stack.fake.chatCalls).toBe(3);
  });

  it("should give a job cut by a shutdown back to the queue without spending its last attempt", async () => {
    // One attempt only: a shutdown must not count as the model failing.
    const stack = await newStack({ startWorker: false, maxAttempts: 1 });
    stack.fake.setFault({ kind: "slow", chunkDelayMs: 200 });
    const scanId = await ingest(stack.url, "lastattempt", 2);

    const first = spawnWorker(stack, { WORKER_SHUTDOWN_TIMEOUT_MS: "500", LLM_MAX_ATTEMPTS: "1" });
    await waitFor("a chat request in flight", async () =>
      stack.fake.requests.some((r) => r.path === "/api/chat" && r.outcome === "pending"),
    );
    first.child.kill("SIGTERM");
    expect(await first.exited, first.output()).toEqual({ code: 0, signal: null });
    const counts = await statusCounts(stack.database, scanId);
    expect(counts.failed ?? 0, JSON.stringify(counts)).toBe(0);

    stack.fake.setFault(null);
    spawnWorker(stack, { LLM_MAX_ATTEMPTS: "1" });
    await waitAllCompleted(stack, scanId, 2);
    await expectAllCompletedWithCorpus(stack, scanId);
    expect(stack.fake.chatCalls).toBe(2 + 1);
  });

  it("should return to the queue an analysis left processing when both its worker and its job were lost", async () => {
    const stack = await newStack({ startWorker: false });
    stack.fake.setFault({ kind: "slow", chunkDelayMs: 200 });
    const scanId = await ingest(stack.url, "orphaned", 3);

    const first = spawnWorker(stack);
    await waitFor("a chat request in flight", async () =>
      stack.fake.requests.some((r) => r.path === "/api/chat" && r.outcome === "pending"),
    );
    first.child.kill("SIGKILL");
    await first.exited;
    // Redis loses the job too: no stalled-job check can bring it back, only PostgreSQL knows.
    await deleteKeys(stack.prefix);
    expect((await statusCounts(stack.database, scanId)).processing).toBeGreaterThan(0);

    stack.fake.setFault(null);
    // Processing for longer than LLM_TIMEOUT_MS + 2 × WORKER_LOCK_MS (6 s) counts as abandoned.
    const second = spawnWorker(stack, { LLM_TIMEOUT_MS: "2000", WORKER_LOCK_MS: "2000" });
    await waitAllCompleted(stack, scanId, 3, 15_000).catch((error) => {
      throw new Error(`${(error as Error).message}\nworker output:\n${second.output()}`);
    });
    await expectAllCompletedWithCorpus(stack, scanId);
    expect(await statusCounts(stack.database)).toEqual({ completed: 3 });
    expect(stack.fake.chatCalls).toBe(3 + 1);
  });
});
