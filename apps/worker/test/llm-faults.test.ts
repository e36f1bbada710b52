import { badLlmAnswers, type FakeOllamaRequest } from "@vulntriage/test-utils";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  chatRequestsFor,
  expectedFor,
  type FindingRow,
  findingRows,
  type Stack,
  sleep,
  startStack,
  trivyReport,
  uploadReport,
  userMessageOf,
  waitFor,
} from "./helpers.js";

let reportNo = 0;

const packageNames = (tag: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${tag}-pkg${String.fromCharCode(97 + i)}`);

/** Uploads a report of `count` vulnerabilities in distinct packages, so every finding has its own prompt. */
async function ingest(stack: Stack, tag: string, count: number) {
  reportNo++;
  const pkgs = packageNames(tag, count);
  const body = trivyReport(
    `registry.example.com/faults/${tag}:${reportNo}`,
    pkgs.map((pkg, i) => ({ id: `CVE-2024-${4000 + reportNo * 10 + i}`, pkg })),
  );
  const uploaded = await uploadReport(stack.url, body);
  expect(uploaded.status).toBe(201);
  expect(uploaded.body.findings_ingested).toBe(count);
  const scanId: number = uploaded.body.scan.id;
  const rows = await findingRows(stack.database, scanId);
  const prompts = await Promise.all(rows.map((r) => expectedFor(stack.database, stack.ctx, r.id)));
  expect(new Set(prompts.map((p) => p.promptHash)).size).toBe(count);
  return { scanId, pkgs, rows, prompts };
}

/** Waits until no finding of the scan is pending or processing any more. */
async function settled(stack: Stack, scanId: number, timeoutMs = 15_000): Promise<FindingRow[]> {
  return waitFor(
    "every finding completed or failed",
    async () => {
      const rows = await findingRows(stack.database, scanId);
      return rows.every((r) => r.status === "completed" || r.status === "failed") && rows;
    },
    timeoutMs,
  );
}

function expectCorpusAnswers(rows: FindingRow[], prompts: Awaited<ReturnType<typeof ingest>>["prompts"]) {
  for (const [i, row] of rows.entries()) {
    const prompt = prompts[i];
    expect(row.status).toBe("completed");
    expect(row.error).toBeNull();
    expect(row.analysisHash).toBe(prompt?.promptHash);
    expect({ summary: row.summary, recommendations: row.recommendations, score: row.score }).toEqual({
      summary: prompt?.expected.summary,
      recommendations: prompt?.expected.recommendations,
      score: prompt?.expected.riskScore,
    });
  }
}

describe("Ollama faults", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ maxAttempts: 3 });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.fake.reset();
  });

  it("should retry a 500 and a 503 and still complete every finding with the model's answer", async () => {
    stack.fake.queueFaults([
      { kind: "http", status: 500 },
      { kind: "http", status: 503 },
    ]);
    const { scanId, prompts } = await ingest(stack, "http5xx", 3);
    const rows = await settled(stack, scanId);
    expectCorpusAnswers(rows, prompts);
    expect(stack.fake.pendingFaults).toBe(0);
    // Three prompts, two of their attempts answered with an error: two retries in all.
    expect(stack.fake.chatCalls).toBe(3 + 2);
    const perPrompt = prompts.map((p) => chatRequestsFor(stack.fake, p.user).length);
    expect(perPrompt.reduce((a, b) => a + b, 0)).toBe(5);
    expect(Math.max(...perPrompt)).toBeGreaterThan(1);
  });

  it("should fail nothing while Ollama answers 503 far past the retry schedule, and complete once it answers", async () => {
    stack.fake.setFault({ kind: "http", status: 503 });
    const { scanId, prompts } = await ingest(stack, "busy", 2);
    // The retry schedule (3 attempts, 50 ms doubling) is over many times before this wait ends.
    await waitFor("many refused calls", async () => stack.fake.chatCalls >= 12);
    let counts = await findingRows(stack.database, scanId);
    expect(counts.filter((r) => r.status === "failed")).toEqual([]);
    expect(counts.every((r) => r.status === "pending" || r.status === "processing")).toBe(true);

    stack.fake.setFault(null);
    counts = await settled(stack, scanId);
    expectCorpusAnswers(counts, prompts);
    const { rows: failures } = await stack.database.pool.query(
      "select count(*)::int as n from llm_analyses where status = 'failed' and prompt_hash = any($1)",
      [prompts.map((p) => p.promptHash)],
    );
    expect(failures[0].n).toBe(0);
  });

  it("should fail after one repair turn when Ollama cuts every answer off (done_reason length), not retry", async () => {
    stack.fake.setFault({ kind: "truncate" });
    const { scanId, prompts } = await ingest(stack, "truncated", 2);
    const rows = await settled(stack, scanId);
    for (const row of rows) {
      expect(row.status).toBe("failed");
      expect(row.error).toMatch(/cut off/);
      expect(row.error).toMatch(/length/);
      expect(row.score).toBeNull();
    }
    await sleep(500);
    // Each question once, then once more in the same conversation, asking for a shorter answer.
    for (const p of prompts) expect(chatRequestsFor(stack.fake, p.user)).toHaveLength(1);
    const repairs = stack.fake.requests.filter(
      (r) => r.path === "/api/chat" && /cut off/.test(userMessageOf(r) ?? ""),
    );
    expect(repairs).toHaveLength(2);
    expect(stack.fake.chatCalls).toBe(4);
    const { rows: stored } = await stack.database.pool.query(
      "select repairs, raw_output, first_raw_output from llm_analyses where prompt_hash = any($1)",
      [prompts.map((p) => p.promptHash)],
    );
    expect(stored).toHaveLength(2);
    for (const row of stored) {
      expect(row.repairs).toBe(1);
      expect(row.raw_output).toEqual(expect.any(String));
      expect(row.first_raw_output).toEqual(expect.any(String));
    }
  });

  it("should retry a stream the server dropped half way, then complete", async () => {
    stack.fake.queueFaults([{ kind: "drop" }]);
    const { scanId, prompts } = await ingest(stack, "dropped", 3);
    const rows = await settled(stack, scanId);
    expectCorpusAnswers(rows, prompts);
    expect(stack.fake.chatCalls).toBe(3 + 1);
    expect(stack.fake.requests.filter((r) => r.outcome === "server-closed")).toHaveLength(1);
    const dropped = stack.fake.requests.find((r) => r.outcome === "server-closed");
    // The prompt whose stream was dropped was asked again.
    expect(chatRequestsFor(stack.fake, userMessageOf(dropped as FakeOllamaRequest) ?? "")).toHaveLength(2);
  });

  it("should retry an error reported inside the stream, then complete", async () => {
    stack.fake.queueFaults([
      {
        kind: "error-in-stream",
        error: "model runner has unexpectedly stopped, this may be due to resource limitations",
      },
    ]);
    const { scanId, prompts } = await ingest(stack, "streamerror", 3);
    const rows = await settled(stack, scanId);
    expectCorpusAnswers(rows, prompts);
    expect(stack.fake.chatCalls).toBe(3 + 1);
    expect(Math.max(...prompts.map((p) => chatRequestsFor(stack.fake, p.user).length))).toBe(2);
  });

  it("should fail answers unusable even after the repair turn, keep both raw outputs and never store a default score", async () => {
    const bad = ["no-summary-section", "cvss-score-only", "score-out-of-range"].map((id) => {
      const entry = badLlmAnswers.find((b) => b.id === id);
      if (!entry) throw new Error(`no bad answer ${id}`);
      return entry;
    });
    // In place before the upload: the worker may ask as soon as the scan is committed.
    const pkgs = packageNames("unparseable", 3);
    stack.fake.setResponder((req) => {
      const i = pkgs.findIndex((pkg) => req.prompt.includes(`"${pkg}"`));
      return bad[i]?.answer ?? "## Summary\nunexpected prompt";
    });
    const { scanId, prompts } = await ingest(stack, "unparseable", 3);
    const rows = await settled(stack, scanId);
    const messages = [/no Summary section/, /no Risk Score section/, /not an integer from 1 to 10/];
    for (const [i, row] of rows.entries()) {
      expect(row.status).toBe("failed");
      expect(row.error).toMatch(/could not be used/);
      expect(row.error).toMatch(messages[i] as RegExp);
      expect(row.score).toBeNull();
      expect(row.summary).toBeNull();
      expect(row.analysisHash).toBe(prompts[i]?.promptHash);
    }
    const { rows: stored } = await stack.database.pool.query(
      `select prompt_hash, status, raw_output, first_raw_output, repairs, risk_score, summary, error
       from llm_analyses where prompt_hash = any($1)`,
      [prompts.map((p) => p.promptHash)],
    );
    expect(stored).toHaveLength(3);
    for (const [i, p] of prompts.entries()) {
      const row = stored.find((s) => s.prompt_hash === p.promptHash);
      // Both answers are kept: the first to the question, the second to the one repair request.
      expect(row).toMatchObject({
        status: "failed",
        first_raw_output: bad[i]?.answer,
        raw_output: "## Summary\nunexpected prompt",
        repairs: 1,
        risk_score: null,
        summary: null,
      });
      expect(row.error).toMatch(messages[i] as RegExp);
    }
    // Beyond the one repair turn a parse failure is not retried: the same prompt at temperature 0
    // gives the same answer.
    await sleep(300);
    for (const p of prompts) expect(chatRequestsFor(stack.fake, p.user)).toHaveLength(1);
  });
});

describe("unknown model", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ model: "nonexistent:1b", maxAttempts: 3 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("should fail at once, at most one call per question, naming the model and the `ollama pull` that fixes it", async () => {
    const { scanId, prompts } = await ingest(stack, "nomodel", 2);
    const rows = await settled(stack, scanId);
    for (const row of rows) {
      expect(row.status).toBe("failed");
      expect(row.error).toContain("nonexistent:1b");
      expect(row.error).toContain("ollama pull nonexistent:1b");
      expect(row.score).toBeNull();
    }
    await sleep(500);
    // Once a server said it lacks the model, questions fail without asking it again.
    for (const p of prompts) expect(chatRequestsFor(stack.fake, p.user).length).toBeLessThanOrEqual(1);
    expect(stack.fake.chatCalls).toBeGreaterThanOrEqual(1);
    expect(stack.fake.chatCalls).toBeLessThanOrEqual(2);
  });
});

describe("LLM_TIMEOUT_MS", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ llmTimeoutMs: 1_000, maxAttempts: 3 });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.fake.reset();
  });

  it("should abort an attempt that outlasts the deadline and complete on the retry", async () => {
    stack.fake.queueFaults([{ kind: "delay", ms: 3_000 }]);
    const started = Date.now();
    const { scanId, prompts } = await ingest(stack, "slowonce", 1);
    const rows = await settled(stack, scanId);
    // Completed before the delayed answer would have come: the first attempt was cut at 1 s.
    expect(Date.now() - started).toBeLessThan(3_000);
    expectCorpusAnswers(rows, prompts);
    const requests = chatRequestsFor(stack.fake, prompts[0]?.user as string);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.outcome).toBe("client-closed");
    expect(requests[1]?.outcome).toBe("completed");
  });

  it("should fail with the timeout named once every attempt timed out", async () => {
    stack.fake.setFault({ kind: "delay", ms: 3_000 });
    const { scanId, prompts } = await ingest(stack, "slowalways", 1);
    const rows = await settled(stack, scanId);
    expect(rows[0]?.status).toBe("failed");
    expect(rows[0]?.error).toMatch(/LLM_TIMEOUT_MS/);
    expect(rows[0]?.score).toBeNull();
    const requests = chatRequestsFor(stack.fake, prompts[0]?.user as string);
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.outcome === "client-closed")).toBe(true);
  });
});
