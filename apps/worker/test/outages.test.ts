import { createOllamaPool } from "@vulntriage/core";
import { badLlmAnswers, corpusEntryFor, type FakeOllama, startFakeOllama } from "@vulntriage/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import {
  findingRows,
  recordingLogger,
  type Stack,
  startStack,
  statusCounts,
  TEST_BACKOFF,
  trivyReport,
  uploadReport,
  waitFor,
} from "./helpers.js";

const stacks: Stack[] = [];
const fakes: FakeOllama[] = [];

afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
  for (const fake of fakes.splice(0)) await fake.close();
});

let reportNo = 0;

/** A report of `count` distinct questions. */
function report(tag: string, count: number, severity: "HIGH" | "LOW" = "HIGH"): string {
  reportNo++;
  return trivyReport(
    `registry.example.com/outages/${tag}:${reportNo}`,
    Array.from({ length: count }, (_, i) => ({
      id: `CVE-2025-${10_000 + i}`,
      pkg: `${tag}-lib${i}`,
      severity,
    })),
  );
}

async function upload(stack: Stack, body: string): Promise<number> {
  const uploaded = await uploadReport(stack.url, body);
  expect(uploaded.status).toBe(201);
  return uploaded.body.scan.id as number;
}

describe("an Ollama outage", () => {
  it("should fail nothing when every server refuses connections far past the retry schedule, and log it once", async () => {
    const stack = await startStack({ startWorker: false, maxAttempts: 2, retryDelayMs: 20 });
    stacks.push(stack);
    const log = recordingLogger();
    stack.fake.setFault({ kind: "refuse" });
    stack.startWorker({
      analyzer: createOllamaPool({
        servers: [{ url: stack.fake.url, concurrency: 2 }],
        timeoutMs: 5_000,
        log,
        backoff: TEST_BACKOFF,
      }),
    });
    const scanId = await upload(stack, report("down", 6));
    // Two attempts 20 ms apart would be spent in well under a second: this outage lasts far longer.
    await waitFor("a long outage", async () => stack.fake.chatCalls >= 10, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const during = await statusCounts(stack.database, scanId);
    expect(during.failed).toBeUndefined();
    expect((during.pending ?? 0) + (during.processing ?? 0)).toBe(6);

    stack.fake.setFault(null);
    await waitFor(
      "every finding completed",
      async () => (await statusCounts(stack.database, scanId)).completed === 6,
    );
    expect(await statusCounts(stack.database, scanId)).toEqual({ completed: 6 });
    const paused = log.lines.filter((l) => /no Ollama server is answering/.test(l.msg));
    expect(paused).toHaveLength(1);
    expect(log.lines.filter((l) => /set aside/.test(l.msg))).toHaveLength(1);
    expect(log.lines.some((l) => /resumed/.test(l.msg))).toBe(true);
  });
});

describe("several Ollama servers", () => {
  it("should spread questions over two servers within their concurrency, and finish on one when the other stops", async () => {
    const stack = await startStack({ startWorker: false });
    stacks.push(stack);
    const second = await startFakeOllama();
    fakes.push(second);
    for (const fake of [stack.fake, second]) fake.setFault({ kind: "delay", ms: 80 });
    const pool = createOllamaPool({
      servers: [
        { url: stack.fake.url, concurrency: 2 },
        { url: second.url, concurrency: 1 },
      ],
      timeoutMs: 5_000,
      log: recordingLogger(),
      backoff: TEST_BACKOFF,
    });
    // More jobs at once than the servers have slots: the pool, not the worker, holds the limit.
    stack.startWorker({ analyzer: pool, concurrency: 6 });
    const scanId = await upload(stack, report("spread", 30));

    await waitFor("both servers busy", async () => stack.fake.chatCalls >= 3 && second.chatCalls >= 3);
    await second.close();
    await waitFor(
      "every finding completed",
      async () => (await statusCounts(stack.database, scanId)).completed === 30,
      30_000,
    );
    expect(await statusCounts(stack.database, scanId)).toEqual({ completed: 30 });
    expect(stack.fake.peakInFlight).toBeLessThanOrEqual(2);
    expect(second.peakInFlight).toBeLessThanOrEqual(1);
    expect(stack.fake.peakInFlight).toBe(2);
    expect(pool.peakInFlight()).toEqual({ [stack.fake.url]: 2, [second.url]: 1 });
    // Every question answered once: a call cut by the stop was asked again elsewhere, not failed.
    const { rows } = await stack.database.pool.query(
      "select count(*)::int as n from llm_analyses where status = 'completed'",
    );
    expect(rows[0].n).toBe(30);
  });
});

describe("failed questions", () => {
  const bad = badLlmAnswers.find((b) => b.id === "score-out-of-range")?.answer as string;

  it("should not ask a failed question again for a later scan, and re-ask exactly the failed ones on a bulk retry", async () => {
    const stack = await startStack();
    stacks.push(stack);
    // Questions 0 and 1 of the first report get answers no repair turn rescues.
    const failing = /"failing-lib[01]"/;
    stack.fake.setResponder((req) =>
      failing.test(req.prompt) || /could not be used/.test(req.prompt)
        ? bad
        : corpusEntryFor(req.prompt).answer,
    );
    const first = await upload(stack, report("failing", 3));
    await waitFor("first scan settled", async () => {
      const c = await statusCounts(stack.database, first);
      return c.failed === 2 && c.completed === 1;
    });
    const callsAfterFirst = stack.fake.chatCalls;
    expect(callsAfterFirst).toBe(1 + 2 * 2);

    // The same three questions from another image: no call at all, the failures copied.
    const later = await upload(stack, report("failing", 3));
    await waitFor("later scan settled", async () => {
      const c = await statusCounts(stack.database, later);
      return c.failed === 2 && c.completed === 1;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stack.fake.chatCalls).toBe(callsAfterFirst);
    const copied = (await findingRows(stack.database, later)).filter((r) => r.status === "failed");
    for (const row of copied) expect(row.error).toMatch(/repair/);

    // The model is fixed; the bulk retry asks exactly the two failed questions, once each.
    stack.fake.setResponder(null);
    const retry = await fetch(`${stack.url}/api/llm/analyze/retry`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "failed" }),
    });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toEqual({ questions: 2, findings: 4 });
    await waitFor("everything completed", async () => {
      const c = await statusCounts(stack.database);
      return c.completed === 6 && c;
    });
    expect(stack.fake.chatCalls).toBe(callsAfterFirst + 2);

    // Nothing failed any more: a second retry has nothing to do.
    const again = await fetch(`${stack.url}/api/llm/analyze/retry`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "failed" }),
    });
    expect(await again.json()).toEqual({ questions: 0, findings: 0 });
  });

  it("should re-ask only one scan's failed questions when scan_id is given, and refuse bad requests", async () => {
    const stack = await startStack();
    stacks.push(stack);
    stack.fake.setResponder(() => bad);
    const a = await upload(stack, report("scoped-a", 2));
    const b = await upload(stack, report("scoped-b", 1));
    await waitFor("both failed", async () => (await statusCounts(stack.database)).failed === 3);
    stack.fake.setResponder(null);
    const before = stack.fake.chatCalls;

    const post = (body: unknown) =>
      fetch(`${stack.url}/api/llm/analyze/retry`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const scoped = await post({ scan_id: a, status: "failed" });
    expect(scoped.status).toBe(202);
    expect(await scoped.json()).toEqual({ questions: 2, findings: 2 });
    await waitFor("scan a completed", async () => (await statusCounts(stack.database, a)).completed === 2);
    expect(stack.fake.chatCalls).toBe(before + 2);
    expect(await statusCounts(stack.database, b)).toEqual({ failed: 1 });

    const unknown = await post({ scan_id: 987_654, status: "failed" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      error: expect.any(String),
      message: expect.stringContaining("987654"),
    });
    for (const body of [
      {},
      { status: "completed" },
      { status: "failed", scan_id: "x" },
      { status: "failed", extra: 1 },
    ]) {
      const refused = await post(body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
    expect(stack.fake.chatCalls).toBe(before + 2);
  });
});
