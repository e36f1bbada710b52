import { badLlmAnswers } from "@vulntriage/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack, statusCounts, trivyReport, uploadReport, waitFor } from "./helpers.js";

const stacks: Stack[] = [];

afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
});

let reportNo = 0;

/** `count` vulnerabilities, each in two packages of one image: 2 × count findings, 2 × count questions. */
async function ingest(stack: Stack, count: number) {
  reportNo++;
  const vulns = Array.from({ length: count }, (_, i) => [
    { id: `CVE-2024-${9000 + i}`, pkg: `progress-a${i}`, severity: "HIGH" as const },
    { id: `CVE-2024-${9000 + i}`, pkg: `progress-b${i}`, severity: "LOW" as const },
  ]).flat();
  const uploaded = await uploadReport(
    stack.url,
    trivyReport(`registry.example.com/progress/app:${reportNo}`, vulns),
  );
  expect(uploaded.status).toBe(201);
  return uploaded.body.scan as { id: number; image_name: string };
}

async function progress(stack: Stack, identifier: string | number) {
  const response = await fetch(
    `${stack.url}/api/container/scans/${encodeURIComponent(String(identifier))}/analysis`,
  );
  return { status: response.status, body: (await response.json()) as any };
}

describe("GET /api/container/scans/:identifier/analysis", () => {
  it("should count pending work before any worker runs, with no estimate yet", async () => {
    const stack = await startStack({ startWorker: false });
    stacks.push(stack);
    const scan = await ingest(stack, 3);
    await waitFor("prepare to run", async () => (await statusCounts(stack.database, scan.id)).pending === 6);
    const { status, body } = await progress(stack, scan.id);
    expect(status).toBe(200);
    expect(body).toEqual({
      scan_id: scan.id,
      findings: 6,
      by_status: { not_requested: 0, pending: 6, processing: 0, completed: 0, failed: 0 },
      questions: { total: 6, answered: 0, repaired: 0 },
      eta_seconds: null,
    });
  });

  it("should show everything answered by image name too, with repairs counted and nothing left", async () => {
    const stack = await startStack({ analyzeMinSeverity: "MEDIUM" });
    stacks.push(stack);
    const bad = (badLlmAnswers.find((b) => b.id === "no-summary-section") as { answer: string }).answer;
    // The first package's question needs the repair turn; the repair request carries no package.
    stack.fake.setResponder((req) =>
      req.prompt.includes('"progress-a0"')
        ? bad
        : "## Summary\nA flaw.\n## Recommendations\n1. Upgrade.\n## Risk Score\n6",
    );
    const scan = await ingest(stack, 3);
    await waitFor(
      "every requested finding completed",
      async () => (await statusCounts(stack.database, scan.id)).completed === 3,
    );
    const { status, body } = await progress(stack, scan.image_name);
    expect(status).toBe(200);
    expect(body).toEqual({
      scan_id: scan.id,
      findings: 6,
      // The LOW findings are below ANALYZE_MIN_SEVERITY: never requested.
      by_status: { not_requested: 3, pending: 0, processing: 0, completed: 3, failed: 0 },
      questions: { total: 3, answered: 3, repaired: 1 },
      eta_seconds: 0,
    });
  });

  it("should estimate the time left from the recent answer rate while questions wait", async () => {
    const stack = await startStack({ startWorker: false });
    stacks.push(stack);
    // Answers stored over the last minute, as a worker elsewhere in the fleet would leave them.
    await stack.database.pool.query(
      `insert into llm_analyses (prompt_hash, status, template_version, model, summary, risk_score, created_at)
       select 'earlier-' || n, 'completed', 't', 'm', 's', 5, now() - make_interval(secs => n * 6)
       from generate_series(0, 10) as n`,
    );
    const scan = await ingest(stack, 2);
    await waitFor("prepare to run", async () => (await statusCounts(stack.database, scan.id)).pending === 4);
    const { body } = await progress(stack, scan.id);
    // 11 answers in 60 s: 4 waiting questions take about 22 s.
    expect(body.eta_seconds).toBeGreaterThanOrEqual(20);
    expect(body.eta_seconds).toBeLessThanOrEqual(24);
  });

  it("should answer 404 for an unknown scan and 400 for a name that cannot be one", async () => {
    const stack = await startStack({ startWorker: false });
    stacks.push(stack);
    expect((await progress(stack, 999_999)).status).toBe(404);
    expect((await progress(stack, "nobody/never:1")).body).toMatchObject({ error: "not_found" });
    expect((await progress(stack, "bad\u0001name")).status).toBe(400);
  });
});
