import { badLlmAnswers, corpusEntryFor, type FakeGenerationRequest } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chatRequestsFor,
  expectedFor,
  findingRows,
  getJson,
  type Json,
  type Stack,
  sleep,
  startStack,
  trivyReport,
  uploadReport,
  waitFor,
} from "./helpers.js";

/** Whether any turn of the conversation (the question, or the repair turn after it) is about `pkg`. */
function asksAbout(req: FakeGenerationRequest, pkg: string): boolean {
  const messages = (req.body as { messages?: { content: string }[] }).messages ?? [];
  return messages.some((m) => m.content.includes(`"${pkg}"`));
}

const MODEL = "llama3.2:3b";
// Every answer explains the finding's deterministic risk (its values are the risk tests' business).
const anyRisk = {
  score: expect.any(Number),
  band: expect.stringMatching(/^(low|medium|high|critical)$/),
  factors: expect.arrayContaining([expect.objectContaining({ name: expect.any(String) })]),
  llm_score: expect.toSatisfy((v: unknown) => v === null || typeof v === "number"),
  disagreement: expect.any(Boolean),
};

type Finding = { id: number; pkg: string };

describe("GET /api/llm/analyze/container/:finding_id", () => {
  let stack: Stack;
  let critical: Finding; // analysed on ingest
  let low: Finding[]; // not analysed on ingest (ANALYZE_MIN_SEVERITY=CRITICAL)

  const analyze = (id: number | string, query = "", base = stack.url) =>
    getJson(`${base}/api/llm/analyze/container/${id}${query}`);

  /** Polls the endpoint (without refresh) until it answers 200. */
  const until200 = (id: number, base = stack.url) =>
    waitFor(`finding ${id} answered 200`, async () => {
      const answer = await analyze(id, "", base);
      return answer.status === 200 && answer;
    });

  const callsFor = async (id: number) => {
    const { user } = await expectedFor(stack.database, stack.ctx, id);
    return chatRequestsFor(stack.fake, user).length;
  };

  beforeAll(async () => {
    stack = await startStack({ analyzeMinSeverity: "CRITICAL" });
    const uploaded = await uploadReport(
      stack.url,
      trivyReport("registry.example.com/endpoint/app:1.0", [
        { id: "CVE-2024-1001", pkg: "libcritical", severity: "CRITICAL" },
        { id: "CVE-2024-1002", pkg: "liblow-one", severity: "LOW" },
        { id: "CVE-2024-1003", pkg: "liblow-two", severity: "LOW" },
        { id: "CVE-2024-1004", pkg: "liblow-three", severity: "LOW" },
      ]),
    );
    expect(uploaded.status).toBe(201);
    const rows = await findingRows(stack.database, uploaded.body.scan.id);
    critical = rows.find((r) => r.pkg === "libcritical") as Finding;
    low = rows.filter((r) => r.pkg.startsWith("liblow")).sort((a, b) => a.id - b.id);
    await waitFor("the critical finding analysed on ingest", async () => {
      const [row] = (await findingRows(stack.database)).filter((r) => r.id === critical.id);
      return row?.status === "completed";
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  // A refresh within a minute of the answer asks nothing: tests of refreshing age the answer first.
  const answeredLongAgo = (id: number) =>
    stack.database.pool.query(
      "update container_findings set llm_analysis_timestamp = now() - interval '2 minutes' where id = $1",
      [id],
    );

  it("should answer 200 with the stored analysis of a completed finding, without asking the model", async () => {
    const callsBefore = stack.fake.chatCalls;
    const answer = await analyze(critical.id);
    expect(answer.status).toBe(200);
    const [row] = (await findingRows(stack.database)).filter((r) => r.id === critical.id);
    const { expected, promptHash } = await expectedFor(stack.database, stack.ctx, critical.id);
    expect(answer.body).toEqual({
      finding_id: critical.id,
      status: "completed",
      cached: true,
      summary: row?.summary,
      recommendations: row?.recommendations,
      risk_score: row?.score,
      analyzed_at: row?.analyzedAt?.toISOString(),
      model: MODEL,
      prompt_hash: row?.analysisHash,
      risk: (await getJson(`${stack.url}/api/container/findings/${critical.id}`)).body.risk,
    });
    expect(answer.body.risk.llm_score).toBe(row?.score);
    expect(answer.body).toMatchObject({
      summary: expected.summary,
      recommendations: expected.recommendations,
      risk_score: expected.riskScore,
      prompt_hash: promptHash,
    });
    expect(stack.fake.chatCalls).toBe(callsBefore);
  });

  it("should queue a finding never analysed (202 pending), not ask twice while it waits, then answer 200", async () => {
    const target = low[0] as Finding;
    const lowRows = (await findingRows(stack.database)).filter((r) => r.pkg.startsWith("liblow"));
    expect(lowRows.map((r) => r.status)).toEqual([null, null, null]);
    expect(await callsFor(target.id)).toBe(0);

    // Keep the model busy for a moment so the second request arrives while the first is still open.
    stack.fake.queueFaults([{ kind: "delay", ms: 1_000 }]);
    const first = await analyze(target.id);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ finding_id: target.id, status: "pending", risk: anyRisk });
    await waitFor("the call in flight", async () => (await callsFor(target.id)) === 1);
    const second = await analyze(target.id);
    expect(second.status).toBe(202);
    expect(["pending", "processing"]).toContain(second.body.status);

    const done = await until200(target.id);
    const { expected } = await expectedFor(stack.database, stack.ctx, target.id);
    expect(done.body).toMatchObject({
      finding_id: target.id,
      status: "completed",
      summary: expected.summary,
      recommendations: expected.recommendations,
      risk_score: expected.riskScore,
      model: MODEL,
    });
    await sleep(300);
    expect(await callsFor(target.id)).toBe(1);
    // Only this finding was asked for: the other low findings stay unanalysed.
    const others = (await findingRows(stack.database)).filter(
      (r) => r.pkg.startsWith("liblow") && r.id !== target.id,
    );
    expect(others.map((r) => r.status)).toEqual([null, null]);
  });

  it("should answer 200 at once, with no LLM call, for a finding whose prompt is already answered", async () => {
    const answered = low[0] as Finding;
    const twinUpload = await uploadReport(
      stack.url,
      trivyReport("registry.example.com/endpoint/other:2.0", [
        { id: "CVE-2024-1002", pkg: "liblow-one", severity: "LOW" },
        { id: "CVE-2024-1999", pkg: "libunrelated", severity: "LOW" },
      ]),
    );
    expect(twinUpload.status).toBe(201);
    const twin = (await findingRows(stack.database, twinUpload.body.scan.id)).find(
      (r) => r.pkg === "liblow-one",
    );
    expect(twin?.status).toBeNull();
    const callsBefore = stack.fake.chatCalls;
    const answer = await analyze(twin?.id as number);
    expect(answer.status).toBe(200);
    const original = await analyze(answered.id);
    expect(answer.body).toEqual({ ...original.body, finding_id: twin?.id });
    await sleep(300);
    expect(stack.fake.chatCalls).toBe(callsBefore);
  });

  it("should answer a failed analysis with its error, not retry it on polling, and ask again on ?refresh=true", async () => {
    const target = low[1] as Finding;
    const bad = badLlmAnswers.find((b) => b.id === "no-summary-section")?.answer as string;
    stack.fake.setResponder((req) => (asksAbout(req, target.pkg) ? bad : corpusEntryFor(req.prompt).answer));
    try {
      expect((await analyze(target.id)).status).toBe(202);
      const failed = await until200(target.id);
      expect(failed.body).toEqual({
        finding_id: target.id,
        status: "failed",
        error: expect.stringMatching(/could not be used.*no Summary section/),
        prompt_hash: (await expectedFor(stack.database, stack.ctx, target.id)).promptHash,
        risk: { ...anyRisk, llm_score: null, disagreement: false },
      });
      for (let i = 0; i < 3; i++) {
        const again = await analyze(target.id);
        expect(again.status).toBe(200);
        expect(again.body.status).toBe("failed");
      }
      await sleep(500);
      expect(await callsFor(target.id)).toBe(1);
    } finally {
      stack.fake.setResponder(null);
    }

    const refreshed = await analyze(target.id, "?refresh=true");
    expect(refreshed.status).toBe(202);
    expect(refreshed.body).toEqual({ finding_id: target.id, status: "pending", risk: anyRisk });
    const done = await until200(target.id);
    const { expected } = await expectedFor(stack.database, stack.ctx, target.id);
    expect(done.body).toMatchObject({
      status: "completed",
      summary: expected.summary,
      recommendations: expected.recommendations,
      risk_score: expected.riskScore,
    });
    const [row] = (await findingRows(stack.database)).filter((r) => r.id === target.id);
    expect(row?.error).toBeNull();
    expect(await callsFor(target.id)).toBe(2);
  });

  it("should ask the model again for a completed finding on ?refresh=true, exactly once", async () => {
    const before = await analyze(critical.id);
    expect(before.status).toBe(200);
    const callsBefore = await callsFor(critical.id);
    const totalBefore = stack.fake.chatCalls;

    await answeredLongAgo(critical.id);
    const refreshed = await analyze(critical.id, "?refresh=true");
    expect(refreshed.status).toBe(202);
    expect(refreshed.body.status).toBe("pending");
    const after = await until200(critical.id);
    expect(after.body.status).toBe("completed");
    expect(Date.parse(after.body.analyzed_at)).toBeGreaterThan(Date.parse(before.body.analyzed_at));
    expect({ ...after.body, analyzed_at: undefined }).toEqual({ ...before.body, analyzed_at: undefined });
    await sleep(300);
    expect(await callsFor(critical.id)).toBe(callsBefore + 1);
    expect(stack.fake.chatCalls).toBe(totalBefore + 1);
  });

  it("should ask the model at most once for a burst of refreshes within a minute of the answer", async () => {
    const answered = await until200(critical.id);
    expect(answered.body.status).toBe("completed");
    await answeredLongAgo(critical.id);
    const callsBefore = await callsFor(critical.id);
    const burst = await Promise.all(Array.from({ length: 20 }, () => analyze(critical.id, "?refresh=true")));
    for (const answer of burst) expect(["pending", "processing", "completed"]).toContain(answer.body.status);
    const done = await until200(critical.id);
    // Answered just now: a refresh now serves it, cached, with no call.
    const again = await analyze(critical.id, "?refresh=true");
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      status: "completed",
      cached: true,
      analyzed_at: done.body.analyzed_at,
    });
    await sleep(300);
    expect(await callsFor(critical.id)).toBe(callsBefore + 1);
  });

  it("should not let a waiting ordinary job swallow a refresh of the same prompt", async () => {
    const before = await until200(critical.id);
    const callsBefore = await callsFor(critical.id);
    await stack.worker?.close();
    await answeredLongAgo(critical.id);
    const refreshed = await analyze(critical.id, "?refresh=true");
    expect(refreshed.status).toBe(202);
    // An ordinary enqueue of the same prompt (as a reconciler pass makes) collapses into the one
    // waiting job, which must still ask the model rather than serve the old answer.
    await stack.queue.analyzePrompts([{ promptHash: before.body.prompt_hash, severityRank: 0 }]);
    const queued = await stack.queue.queue.getJobCounts("waiting", "prioritized");
    expect((queued.waiting ?? 0) + (queued.prioritized ?? 0)).toBe(1);
    stack.startWorker();
    await waitFor("the refresh answered", async () => {
      const answer = await analyze(critical.id);
      return (
        answer.status === 200 &&
        Date.parse(answer.body.analyzed_at) > Date.parse(before.body.analyzed_at) &&
        answer
      );
    });
    await waitFor("the queue drained", async () => {
      const left = await stack.queue.queue.getJobCounts("waiting", "prioritized", "active");
      return (left.waiting ?? 0) + (left.prioritized ?? 0) + (left.active ?? 0) === 0;
    });
    await sleep(300);
    expect(await callsFor(critical.id)).toBe(callsBefore + 1);
  });

  it("should not ask a failed question again for another image, and show both findings the answer of a refresh", async () => {
    const bad = badLlmAnswers.find((b) => b.id === "score-out-of-range")?.answer as string;
    const vuln = { id: "CVE-2024-1500", pkg: "libshared-fail", severity: "CRITICAL" as const };
    stack.fake.setResponder((req) => (asksAbout(req, vuln.pkg) ? bad : corpusEntryFor(req.prompt).answer));
    let failed: Finding;
    try {
      const first = await uploadReport(
        stack.url,
        trivyReport("registry.example.com/endpoint/first:1", [vuln]),
      );
      expect(first.status).toBe(201);
      failed = (await findingRows(stack.database, first.body.scan.id))[0] as Finding;
      const answer = await until200(failed.id);
      expect(answer.body.status).toBe("failed");
    } finally {
      stack.fake.setResponder(null);
    }
    // The same question arrives from another image: it failed, so it fails here too, with no call.
    const second = await uploadReport(
      stack.url,
      trivyReport("registry.example.com/endpoint/second:1", [vuln]),
    );
    expect(second.status).toBe(201);
    const twin = (await findingRows(stack.database, second.body.scan.id))[0] as Finding;
    const refused = await until200(twin.id);
    expect(refused.body.status).toBe("failed");
    expect(refused.body.error).toMatch(/repair/);
    await sleep(300);
    // One call (and its repair turn, which asks another user message) for the first image only.
    expect(await callsFor(twin.id)).toBe(1);

    // Asked again on purpose, it is answered this time.
    expect((await analyze(twin.id, "?refresh=true")).status).toBe(202);
    const answered = await until200(twin.id);
    expect(answered.body.status).toBe("completed");
    expect(await callsFor(twin.id)).toBe(2);

    // One prompt, one stored answer: the finding that failed on it shows it too, without a new call.
    const now = await analyze(failed.id);
    expect(now.status).toBe(200);
    expect(now.body).toEqual({ ...answered.body, finding_id: failed.id });
    await sleep(300);
    expect(await callsFor(failed.id)).toBe(2);
  });

  it("should answer 404 for an unknown finding and 400 for a malformed id", async () => {
    const unknown = await analyze(987_654_321);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      error: expect.any(String),
      message: expect.stringContaining("987654321"),
    });
    for (const id of ["abc", "0", "-1", "1.5", "12abc"]) {
      const answer = await analyze(id);
      expect(answer.status, id).toBe(400);
      expect(answer.body, id).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    const badRefresh = await analyze(critical.id, "?refresh=maybe");
    expect(badRefresh.status).toBe(400);
  });

  it("should treat an analysis made under another model as stale: 202, then re-analysed with the new model", async () => {
    stack.fake.setModels([MODEL, "other:7b"]);
    const peer = await startStack({
      model: "other:7b",
      analyzeMinSeverity: "CRITICAL",
      database: stack.database,
      fake: stack.fake,
    });
    try {
      const old = await analyze(critical.id);
      expect(old.status).toBe(200);
      const callsBefore = stack.fake.chatCalls;

      const stale = await analyze(critical.id, "", peer.url);
      expect(stale.status).toBe(202);
      expect(stale.body).toEqual({ finding_id: critical.id, status: "pending", risk: anyRisk });
      const fresh: { body: Json } = await until200(critical.id, peer.url);
      const { promptHash, expected } = await expectedFor(stack.database, peer.ctx, critical.id);
      expect(fresh.body).toMatchObject({
        status: "completed",
        model: "other:7b",
        prompt_hash: promptHash,
        summary: expected.summary,
        risk_score: expected.riskScore,
      });
      expect(fresh.body.prompt_hash).not.toBe(old.body.prompt_hash);
      expect(stack.fake.chatCalls).toBe(callsBefore + 1);
      const lastCall = stack.fake.requests.filter((r) => r.path === "/api/chat").at(-1);
      expect((lastCall?.body as { model?: string } | undefined)?.model).toBe("other:7b");

      // Back under the first model: its analysis is still stored, so it costs no call.
      const back = await analyze(critical.id);
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({
        model: MODEL,
        prompt_hash: old.body.prompt_hash,
        summary: old.body.summary,
      });
      await sleep(300);
      expect(stack.fake.chatCalls).toBe(callsBefore + 1);
    } finally {
      await peer.close();
    }
  });
});
