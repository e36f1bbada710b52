import { badLlmAnswers, type FakeOllamaRequest } from "@vulntriage/test-utils";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  findingRows,
  type Stack,
  startStack,
  trivyReport,
  uploadReport,
  userMessageOf,
  waitFor,
} from "./helpers.js";

const GOOD = [
  "## Summary",
  "A crafted archive makes the library write outside its target directory.",
  "## Recommendations",
  "1. Upgrade to the fixed version.",
  "2. Extract untrusted archives in a sandbox.",
  "## Risk Score",
  "7",
].join("\n");

const NO_SUMMARY = (badLlmAnswers.find((b) => b.id === "no-summary-section") as { answer: string }).answer;

type Message = { role: string; content: string };
const messagesOf = (r: FakeOllamaRequest) =>
  ((r.body as { messages?: Message[] }).messages ?? []) as Message[];
const isRepair = (r: FakeOllamaRequest) => messagesOf(r).some((m) => m.role === "assistant");

let reportNo = 0;

async function ingest(
  stack: Stack,
  tag: string,
  count: number,
  image = `registry.example.com/repair/${tag}`,
) {
  reportNo++;
  const body = trivyReport(
    `${image}:${reportNo}`,
    Array.from({ length: count }, (_, i) => ({ id: `CVE-2024-${8000 + i}`, pkg: `${tag}-lib${i}` })),
  );
  const uploaded = await uploadReport(stack.url, body);
  expect(uploaded.status).toBe(201);
  const scanId = uploaded.body.scan.id as number;
  return waitFor("every finding settled", async () => {
    const rows = await findingRows(stack.database, scanId);
    return rows.every((r) => r.status === "completed" || r.status === "failed") && rows;
  });
}

async function storedAnalyses(stack: Stack) {
  const { rows } = await stack.database.pool.query(
    "select prompt_hash, status, repairs, raw_output, first_raw_output, summary, risk_score from llm_analyses",
  );
  return rows;
}

describe("the repair turn", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ maxAttempts: 3 });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(async () => {
    stack.fake.reset();
    await stack.database.pool.query("truncate container_scans cascade; truncate llm_analyses");
  });

  it("should complete with the repaired answer when the first cannot be parsed, in the same conversation", async () => {
    stack.fake.setResponder((req) => (req.prompt.includes("could not be used") ? GOOD : NO_SUMMARY));
    const rows = await ingest(stack, "unparsed", 3);
    for (const row of rows) {
      expect(row).toMatchObject({ status: "completed", error: null, score: 7 });
      expect(row.summary).toBe("A crafted archive makes the library write outside its target directory.");
      expect(row.analysisHash).toBe(row.promptHash);
    }
    const chats = stack.fake.requests.filter((r) => r.path === "/api/chat");
    expect(chats).toHaveLength(6);
    const repairs = chats.filter(isRepair);
    expect(repairs).toHaveLength(3);
    for (const repair of repairs) {
      const [system, user, assistant, request] = messagesOf(repair);
      expect([system?.role, user?.role, assistant?.role, request?.role]).toEqual([
        "system",
        "user",
        "assistant",
        "user",
      ]);
      expect(assistant?.content).toBe(NO_SUMMARY);
      expect(request?.content).toMatch(/## Summary[\s\S]*## Recommendations[\s\S]*## Risk Score/);
      expect(request?.content).not.toMatch(/cut off/);
      // The question itself is the first turn's, unchanged.
      const original = chats.find((c) => !isRepair(c) && userMessageOf(c) === user?.content);
      expect(original).toBeDefined();
    }
    const stored = await storedAnalyses(stack);
    expect(stored).toHaveLength(3);
    for (const row of stored) {
      expect(row).toMatchObject({
        status: "completed",
        repairs: 1,
        raw_output: GOOD,
        first_raw_output: NO_SUMMARY,
      });
    }
  });

  it("should ask for a shorter answer when the first was cut off at the token limit", async () => {
    stack.fake.setResponder((req) =>
      req.prompt.includes("could not be used") ? GOOD : { kind: "truncate" },
    );
    const rows = await ingest(stack, "cut", 2);
    for (const row of rows) expect(row).toMatchObject({ status: "completed", score: 7 });
    const repairs = stack.fake.requests.filter((r) => r.path === "/api/chat" && isRepair(r));
    expect(repairs).toHaveLength(2);
    for (const repair of repairs) expect(messagesOf(repair).at(-1)?.content).toMatch(/cut off.*short/);
    for (const row of await storedAnalyses(stack)) expect(row.repairs).toBe(1);
  });

  it("should not repair a usable first answer", async () => {
    stack.fake.setResponder(() => GOOD);
    const rows = await ingest(stack, "usable", 2);
    for (const row of rows) expect(row.status).toBe("completed");
    expect(stack.fake.chatCalls).toBe(2);
    for (const row of await storedAnalyses(stack))
      expect(row).toMatchObject({ repairs: 0, first_raw_output: null });
  });

  it("should keep the repaired answer under the question's own hash: the same question elsewhere costs nothing", async () => {
    stack.fake.setResponder((req) => (req.prompt.includes("could not be used") ? GOOD : NO_SUMMARY));
    const first = await ingest(stack, "shared", 2, "registry.example.com/repair/one");
    expect(stack.fake.chatCalls).toBe(4);
    const second = await ingest(stack, "shared", 2, "registry.example.com/repair/two");
    expect(stack.fake.chatCalls).toBe(4);
    expect(second.map((r) => [r.promptHash, r.summary, r.score])).toEqual(
      first.map((r) => [r.promptHash, r.summary, r.score]),
    );
  });
});
