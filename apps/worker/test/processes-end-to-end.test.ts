import { badLlmAnswers } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deleteKeys,
  type Stack,
  spawnApiProcess,
  spawnWorkerProcess,
  startStack,
  trivyReport,
  uploadReport,
  type WorkerProcess,
  waitFor,
} from "./helpers.js";

const GOOD =
  "## Summary\nA flaw in the parser.\n## Recommendations\n1. Upgrade the package.\n## Risk Score\n6";
const NO_SUMMARY = (badLlmAnswers.find((b) => b.id === "no-summary-section") as { answer: string }).answer;

// The compiled API and worker as `npm start` runs them, on their own database and queue prefix,
// against the fake Ollama over HTTP: the features of this release through the real processes.
describe("the compiled API and worker processes together", () => {
  let stack: Stack;
  let api: WorkerProcess;
  let worker: WorkerProcess;
  let url: string;

  beforeAll(async () => {
    stack = await startStack({ startWorker: false });
    let retried = 0;
    stack.fake.setResponder((req) => {
      if (req.prompt.includes("could not be used")) return GOOD;
      if (req.prompt.includes('"e2e-repair"')) return NO_SUMMARY;
      // The first attempt fails; its retry waits a minute in Redis (LLM_RETRY_DELAY_MS below).
      if (req.prompt.includes('"e2e-retry"') && retried++ === 0) return { kind: "http", status: 503 };
      return GOOD;
    });
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    url = `http://127.0.0.1:${port}`;
    api = spawnApiProcess(stack, port);
    worker = spawnWorkerProcess(stack, { LLM_RETRY_DELAY_MS: "60000", LLM_MAX_ATTEMPTS: "3" });
    await waitFor("the API process", async () => (await fetch(`${url}/health`).catch(() => undefined))?.ok);
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await stack?.close();
  });

  const progress = async (scanId: number) =>
    (await (await fetch(`${url}/api/container/scans/${scanId}/analysis`)).json()) as {
      by_status: Record<string, number>;
      questions: Record<string, number>;
      eta_seconds: number | null;
    };

  it("should ingest, analyse with one repair turn, survive a Redis flush and report progress", async () => {
    const uploaded = await uploadReport(
      url,
      trivyReport("registry.example.com/e2e/app:1", [
        { id: "CVE-2024-9100", pkg: "e2e-ok" },
        { id: "CVE-2024-9101", pkg: "e2e-repair" },
        { id: "CVE-2024-9102", pkg: "e2e-retry" },
      ]),
    );
    expect(uploaded.status).toBe(201);
    const scanId = uploaded.body.scan.id as number;

    await waitFor("two answered, one waiting for its retry", async () => {
      const p = await progress(scanId);
      return p.by_status.completed === 2 && p.by_status.processing === 1;
    });
    // Redis loses the delayed retry; the worker's reconciler must notice at its next pass.
    await deleteKeys(stack.prefix);
    await waitFor(
      "every finding completed",
      async () => (await progress(scanId)).by_status.completed === 3,
      15_000,
    );

    expect(await progress(scanId)).toEqual({
      scan_id: scanId,
      findings: 3,
      by_status: { not_requested: 0, pending: 0, processing: 0, completed: 3, failed: 0 },
      questions: { total: 3, answered: 3, repaired: 1 },
      eta_seconds: 0,
    });
    const findings = (await (await fetch(`${url}/api/container/scans/${scanId}/findings`)).json()) as any;
    const repaired = findings.items.find((f: { pkg_name: string }) => f.pkg_name === "e2e-repair");
    const analysis = await fetch(`${url}/api/llm/analyze/container/${repaired.id}`);
    expect(analysis.status).toBe(200);
    expect(await analysis.json()).toMatchObject({
      status: "completed",
      summary: "A flaw in the parser.",
      risk_score: 6,
    });
    // One answer each, one repair turn, one failed attempt: nothing asked twice.
    expect(stack.fake.chatCalls).toBe(5);

    await worker.stop();
    await api.stop();
    expect((await worker.exited).code).toBe(0);
    expect((await api.exited).code).toBe(0);
  });
});
