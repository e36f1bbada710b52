import { afterEach, describe, expect, it } from "vitest";
import {
  deleteKeys,
  type Stack,
  startStack,
  statusCounts,
  trivyReport,
  uploadReport,
  waitFor,
} from "./helpers.js";

const stacks: Stack[] = [];

afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
});

function report(count: number): string {
  return trivyReport(
    "registry.example.com/redis-loss/app:1",
    Array.from({ length: count }, (_, i) => ({
      id: `CVE-2024-${7000 + i}`,
      pkg: `lost-lib${String.fromCharCode(97 + i)}`,
      severity: "HIGH",
    })),
  );
}

describe("analyses in processing when Redis loses their jobs", () => {
  it("should be re-queued at the next reconcile, not after the processing deadline", async () => {
    // Every first attempt breaks off mid-answer (an attempt spent, unlike an outage) and waits a minute for its retry: the findings stay processing while
    // their jobs sit delayed in Redis — until Redis forgets them.
    const stack = await startStack({ startWorker: false, retryDelayMs: 60_000, maxAttempts: 3 });
    stacks.push(stack);
    const prompts = 4;
    stack.fake.queueFaults(
      Array.from({ length: prompts }, () => ({ kind: "error-in-stream" as const, error: "runner crashed" })),
    );
    stack.startWorker({ reconcileIntervalMs: 500, processingStaleMs: 10 * 60_000 });

    const uploaded = await uploadReport(stack.url, report(prompts));
    expect(uploaded.status).toBe(201);
    const scanId = uploaded.body.scan.id as number;
    await waitFor("every first attempt to fail", async () => stack.fake.chatCalls >= prompts);
    await waitFor(
      "every finding to be processing",
      async () => (await statusCounts(stack.database, scanId)).processing === prompts,
    );

    // A Redis flush (or a restart of a Redis that keeps nothing on disk) as far as this queue goes.
    await deleteKeys(stack.prefix);

    await waitFor(
      "every finding completed",
      async () => (await statusCounts(stack.database, scanId)).completed === prompts,
      15_000,
    );
    expect(await statusCounts(stack.database, scanId)).toEqual({ completed: prompts });
    // The failed first attempts and one good answer per prompt: nothing asked twice beyond that.
    expect(stack.fake.chatCalls).toBe(2 * prompts);
  });

  it("should leave alone an analysis whose job is only waiting for its retry", async () => {
    const stack = await startStack({ startWorker: false, retryDelayMs: 60_000, maxAttempts: 3 });
    stacks.push(stack);
    stack.fake.queueFaults([{ kind: "error-in-stream", error: "runner crashed" }]);
    const worker = stack.startWorker({ reconcileIntervalMs: 300, processingStaleMs: 10 * 60_000 });

    const uploaded = await uploadReport(stack.url, report(1));
    const scanId = uploaded.body.scan.id as number;
    await waitFor(
      "the first attempt to fail",
      async () => (await statusCounts(stack.database, scanId)).processing === 1,
    );
    // Several reconcile passes: the delayed job is live, so no second job and no early call.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await worker.reconcile()).toMatchObject({ prompts: 0 });
    expect(stack.fake.chatCalls).toBe(1);
    expect(await statusCounts(stack.database, scanId)).toEqual({ processing: 1 });
  });
});
