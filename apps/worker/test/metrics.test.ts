import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { type PrometheusScrape, parsePrometheusText } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Json,
  type Stack,
  spawnApiProcess,
  spawnWorkerProcess,
  startStack,
  statusCounts,
  trivyReport,
  uploadReport,
  waitFor,
} from "./helpers.js";

const GOOD = [
  "## Summary",
  "A crafted request makes the library read past its buffer.",
  "## Recommendations",
  "1. Upgrade to the fixed version.",
  "## Risk Score",
  "6",
].join("\n");

async function apiMetrics(stack: Stack): Promise<PrometheusScrape> {
  const response = await fetch(`${stack.url}/metrics`);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

async function workerMetrics(stack: Stack): Promise<PrometheusScrape> {
  return parsePrometheusText(
    await (stack.workerMetrics as NonNullable<Stack["workerMetrics"]>).registry.metrics(),
  );
}

async function settle(stack: Stack, image: string, vulns: Parameters<typeof trivyReport>[1]) {
  const uploaded = await uploadReport(stack.url, trivyReport(image, vulns));
  expect(uploaded.status).toBe(201);
  const scanId = uploaded.body.scan.id as number;
  await waitFor(`scan ${image} settled`, async () => {
    const counts = await statusCounts(stack.database, scanId);
    return (counts.completed ?? 0) + (counts.failed ?? 0) === vulns.length;
  });
  return uploaded.body as Json;
}

const llm = (m: PrometheusScrape, outcome: string) => m.value("vulntriage_llm_requests_total", { outcome });

describe("metrics of a real analysis (API, worker, fake Ollama)", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ metrics: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("should count each answered LLM request with its duration, and the queues' jobs", async () => {
    const first = await settle(stack, "registry.example/app:1", [
      { id: "CVE-2024-1001", pkg: "libfoo" },
      { id: "CVE-2024-1002", pkg: "libbar" },
    ]);
    const worker = await workerMetrics(stack);
    expect(stack.fake.chatCalls).toBe(2);
    expect(llm(worker, "success")).toBe(2);
    for (const outcome of ["invalid", "repaired", "timeout", "unavailable", "error", "aborted"])
      expect(llm(worker, outcome)).toBe(0);
    expect(worker.types.get("vulntriage_llm_request_duration_seconds")).toBe("histogram");
    expect(worker.value("vulntriage_llm_request_duration_seconds_count")).toBe(2);
    expect(worker.value("vulntriage_llm_request_duration_seconds_bucket", { le: "+Inf" })).toBe(2);
    expect(worker.value("vulntriage_llm_request_duration_seconds_sum")).toBeGreaterThan(0);
    // The prepare job and the two questions, done; nothing left waiting.
    await waitFor("jobs completed", async () => {
      const m = await workerMetrics(stack);
      return (m.value("vulntriage_queue_jobs", { queue: "analysis", state: "completed" }) ?? 0) >= 3;
    });
    const after = await workerMetrics(stack);
    for (const state of ["waiting", "active", "delayed", "prioritized", "failed"])
      expect(after.value("vulntriage_queue_jobs", { queue: "analysis", state }), state).toBe(0);
    expect(after.value("vulntriage_queue_jobs", { queue: "enrichment", state: "completed" })).toBe(1);

    const api = await apiMetrics(stack);
    expect(api.value("vulntriage_uploads_total", { outcome: "created" })).toBe(1);
    expect(api.value("vulntriage_findings_ingested_total")).toBe(first.findings_ingested);
    // The API never asks the model.
    expect(llm(api, "success")).toBe(0);
  });

  it("should count the same questions in another image as cache hits, asking nothing", async () => {
    const calls = stack.fake.chatCalls;
    const second = await settle(stack, "registry.example/app:2", [
      { id: "CVE-2024-1001", pkg: "libfoo" },
      { id: "CVE-2024-1002", pkg: "libbar" },
    ]);
    expect(stack.fake.chatCalls).toBe(calls);
    const worker = await workerMetrics(stack);
    expect(worker.value("vulntriage_analysis_cache_hits_total", { site: "prepare" })).toBe(2);
    expect(llm(worker, "success")).toBe(2);

    // A finding never asked about, whose question the cache holds: the API answers it from the cache.
    const { rows } = await stack.database.pool.query(
      `update container_findings set llm_prompt_hash = null, llm_analysis_status = null
       where scan_id = $1 and pkg_name = 'libfoo' returning id::int`,
      [second.scan.id],
    );
    const answer = await fetch(`${stack.url}/api/llm/analyze/container/${rows[0].id}`);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as Json).cached).toBe(true);
    const api = await apiMetrics(stack);
    expect(api.value("vulntriage_analysis_cache_hits_total", { site: "analyze" })).toBe(1);
    // Reading the stored answer again is no cache hit: the finding already holds it.
    expect((await fetch(`${stack.url}/api/llm/analyze/container/${rows[0].id}`)).status).toBe(200);
    expect((await apiMetrics(stack)).value("vulntriage_analysis_cache_hits_total", { site: "analyze" })).toBe(
      1,
    );
    expect(stack.fake.chatCalls).toBe(calls);
  });

  it("should count an unavailable server, a refused request, and an unusable answer and its repair", async () => {
    stack.fake.queueFaults([{ kind: "http", status: 503 }]);
    await settle(stack, "registry.example/outage:1", [{ id: "CVE-2024-2001", pkg: "libout" }]);
    let worker = await workerMetrics(stack);
    expect(llm(worker, "unavailable")).toBe(1);
    expect(llm(worker, "success")).toBe(3);

    stack.fake.queueFaults([{ kind: "http", status: 400, error: "bad request" }]);
    const refused = await settle(stack, "registry.example/refused:1", [
      { id: "CVE-2024-2002", pkg: "librej" },
    ]);
    expect(await statusCounts(stack.database, refused.scan.id)).toEqual({ failed: 1 });
    worker = await workerMetrics(stack);
    expect(llm(worker, "error")).toBe(1);

    stack.fake.setResponder((req) =>
      req.prompt.includes("could not be used") ? GOOD : "no sections at all",
    );
    try {
      await settle(stack, "registry.example/repair:1", [{ id: "CVE-2024-2003", pkg: "librep" }]);
    } finally {
      stack.fake.setResponder(null);
    }
    worker = await workerMetrics(stack);
    expect(llm(worker, "invalid")).toBe(1);
    expect(llm(worker, "repaired")).toBe(1);
    // Every answer that came back was timed: 3 successes, the unusable one and its repair.
    expect(worker.value("vulntriage_llm_request_duration_seconds_count")).toBe(5);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the worker process's metrics server (compiled dist)", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ startWorker: false, startEnrichment: false });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("should answer on WORKER_METRICS_PORT with the worker's metrics and stop with the worker", async () => {
    const port = await freePort();
    const worker = spawnWorkerProcess(stack, { WORKER_METRICS_PORT: String(port) });
    try {
      const url = `http://127.0.0.1:${port}/metrics`;
      const text = await waitFor(
        "the worker's metrics",
        async () => {
          const response = await fetch(url).catch(() => undefined);
          return response?.status === 200 ? response.text() : undefined;
        },
        20_000,
      );
      const scrape = parsePrometheusText(text);
      expect(scrape.types.get("vulntriage_llm_requests_total")).toBe("counter");
      expect(scrape.value("vulntriage_queue_up", { queue: "analysis" })).toBe(1);
      expect(scrape.value("process_resident_memory_bytes")).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      await worker.stop();
      expect((await worker.exited).code).toBe(0);
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      await worker.stop();
    }
  });

  it("should serve real values on both processes after an upload to the compiled API and its analysis", async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const api = spawnApiProcess(stack, apiPort, { METRICS: "public" });
    const worker = spawnWorkerProcess(stack, { WORKER_METRICS_PORT: String(metricsPort) });
    try {
      const apiUrl = `http://127.0.0.1:${apiPort}`;
      await waitFor(
        "the compiled API",
        async () => (await fetch(`${apiUrl}/health`).catch(() => undefined))?.ok,
        20_000,
      );
      const vulns = [
        { id: "CVE-2024-7101", pkg: "proc-one" },
        { id: "CVE-2024-7102", pkg: "proc-two" },
        { id: "CVE-2024-7103", pkg: "proc-three" },
      ];
      const uploaded = await uploadReport(apiUrl, trivyReport("process/app:1", vulns));
      expect(uploaded.status).toBe(201);
      const scanId = uploaded.body.scan.id as number;
      await waitFor(
        "the compiled worker's analyses",
        async () => (await statusCounts(stack.database, scanId)).completed === 3,
        30_000,
      );

      const fromApi = parsePrometheusText(await (await fetch(`${apiUrl}/metrics`)).text());
      expect(fromApi.value("vulntriage_uploads_total", { outcome: "created" })).toBe(1);
      expect(fromApi.value("vulntriage_findings_ingested_total")).toBe(3);
      expect(fromApi.value("vulntriage_ingest_duration_seconds_count", { outcome: "created" })).toBe(1);
      const fromWorker = await waitFor(
        "the worker's counts",
        async () => {
          const m = parsePrometheusText(
            await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
          );
          return (m.value("vulntriage_queue_jobs", { queue: "analysis", state: "completed" }) ?? 0) >= 4
            ? m
            : undefined;
        },
        20_000,
      );
      expect(llm(fromWorker, "success")).toBe(3);
      expect(fromWorker.value("vulntriage_llm_request_duration_seconds_count")).toBe(3);
      expect(fromWorker.value("vulntriage_queue_jobs", { queue: "analysis", state: "failed" })).toBe(0);
    } finally {
      await Promise.all([worker.stop(), api.stop()]);
    }
  });

  it("should stop at start, saying why, when WORKER_METRICS_PORT is taken", async () => {
    const taken = createServer();
    taken.listen(0, "127.0.0.1");
    await once(taken, "listening");
    const { port } = taken.address() as AddressInfo;
    const worker = spawnWorkerProcess(stack, { WORKER_METRICS_PORT: String(port), LOG_LEVEL: "info" });
    try {
      expect((await worker.exited).code).toBe(1);
      expect(worker.output()).toContain(
        `WORKER_METRICS_PORT: cannot listen on 127.0.0.1:${port} (the port is in use); set another port, or unset it to serve no metrics`,
      );
      // It never started a worker, so it took no job to leave stalled.
      expect(worker.output()).not.toContain("worker started");
      expect(worker.output()).not.toMatch(/\n\s+at /);
    } finally {
      await worker.stop();
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("should serve nothing when WORKER_METRICS_PORT is unset", async () => {
    const worker = spawnWorkerProcess(stack, { LOG_LEVEL: "info" });
    try {
      await waitFor(
        "worker started",
        async () => worker.output().includes("worker started") || undefined,
        20_000,
      );
      expect(worker.output()).toContain('"metrics":"off"');
    } finally {
      await worker.stop();
    }
  });
});
