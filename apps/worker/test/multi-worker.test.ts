import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, statusCounts, trivyReport, uploadReport, waitFor } from "./helpers.js";

describe("several workers on one queue", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ startWorker: false });
  });
  afterAll(async () => {
    await stack.close();
  });

  it("should still make exactly one LLM call per distinct prompt", async () => {
    // Slow answers keep jobs in flight long enough for the workers to contend for them.
    stack.fake.setFault({ kind: "slow", chunkDelayMs: 5 });
    for (let w = 0; w < 3; w++) stack.startWorker({ concurrency: 4 });

    const vulns = Array.from({ length: 40 }, (_, i) => ({
      id: `CVE-2025-${2000 + i}`,
      pkg: `lib-multi-${i}`,
    }));
    // The same 40 prompts in three images, uploaded at once: 120 findings, 40 distinct questions.
    const uploads = await Promise.all(
      ["a", "b", "c"].map((tag) => uploadReport(stack.url, trivyReport(`multi/${tag}:1`, vulns))),
    );
    for (const upload of uploads) expect(upload.status).toBe(201);

    await waitFor(
      "all 120 findings completed",
      async () => (await statusCounts(stack.database)).completed === 120,
      60_000,
    );
    const { rows } = await stack.database.pool.query(
      "select count(distinct llm_prompt_hash)::int as prompts, count(*)::int as findings from container_findings",
    );
    expect(rows[0]).toEqual({ prompts: 40, findings: 120 });
    expect(stack.fake.chatCalls).toBe(40);
    const { rows: cached } = await stack.database.pool.query("select count(*)::int as n from llm_analyses");
    expect(cached[0].n).toBe(40);
  });
});
