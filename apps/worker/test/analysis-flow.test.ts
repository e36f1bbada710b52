import { buildPrompt, questionInput } from "@vulntriage/core";
import { loadQuestionSources } from "@vulntriage/db";
import { corpusEntryFor, readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, statusCounts, waitFor } from "./helpers.js";

async function upload(stack: Stack, fixture: string, imageName?: string) {
  const query = imageName ? `?image_name=${encodeURIComponent(imageName)}` : "";
  const response = await fetch(`${stack.url}/api/container/scans${query}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: readTrivyFixture(fixture),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function distinctPromptCount(stack: Stack): Promise<number> {
  const { rows } = await stack.database.pool.query(
    "select count(distinct llm_prompt_hash)::int as n from container_findings",
  );
  return rows[0].n;
}

describe("analysis of ingested findings", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
  });

  it("should complete every finding with exactly what the model answered, one call per distinct prompt", async () => {
    const first = await upload(stack, "securecodebox/main/juice-shop-v10.2.0.json");
    expect(first.status).toBe(201);
    const scanId = first.body.scan.id;
    await waitFor("all findings completed", async () => {
      const counts = await statusCounts(stack.database, scanId);
      return counts.completed === first.body.findings_ingested;
    });

    const prompts = await distinctPromptCount(stack);
    expect(prompts).toBeLessThan(first.body.findings_ingested);
    expect(stack.fake.chatCalls).toBe(prompts);

    const { rows } = await stack.database.pool.query(
      `select id, llm_analysis_summary as summary, llm_analysis_recommendations as recommendations,
              llm_analysis_risk_score as score, llm_analysis_prompt_hash as hash, llm_prompt_hash as prompt
       from container_findings where scan_id = $1`,
      [scanId],
    );
    for (const row of rows) {
      const question = await loadQuestionSources(stack.database.db, row.id);
      const { messages, promptHash } = buildPrompt(questionInput(question), stack.ctx.analysis.prompt);
      const expected = corpusEntryFor(messages[1]?.content as string).expected;
      expect(row.hash).toBe(promptHash);
      expect(row.prompt).toBe(promptHash);
      expect({ summary: row.summary, recommendations: row.recommendations, score: row.score }).toEqual({
        summary: expected.summary,
        recommendations: expected.recommendations,
        score: expected.riskScore,
      });
    }
  });

  it("should make no new LLM call for the same report content filed under another image name", async () => {
    const callsBefore = stack.fake.chatCalls;
    const again = await upload(
      stack,
      "securecodebox/main/juice-shop-v10.2.0.json",
      "mirror.example.com/juice-shop:v10",
    );
    expect(again.status).toBe(201);
    await waitFor("the copy's findings completed from the cache", async () => {
      const counts = await statusCounts(stack.database, again.body.scan.id);
      return counts.completed === again.body.findings_ingested;
    });
    expect(stack.fake.chatCalls).toBe(callsBefore);
  });

  it("should share prompts across images: a second image with overlapping packages costs only its new prompts", async () => {
    const before = await distinctPromptCount(stack);
    const callsBefore = stack.fake.chatCalls;
    const other = await upload(stack, "securecodebox/main/juice-shop-v12.10.2.json");
    expect(other.status).toBe(201);
    await waitFor("second image completed", async () => {
      const counts = await statusCounts(stack.database, other.body.scan.id);
      return counts.completed === other.body.findings_ingested;
    });
    const after = await distinctPromptCount(stack);
    expect(stack.fake.chatCalls - callsBefore).toBe(after - before);
    expect(after - before).toBeLessThan(other.body.findings_ingested);
  });
});
