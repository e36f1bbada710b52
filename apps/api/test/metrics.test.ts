import { createAnalysisQueue, type Scope } from "@vulntriage/core";
import {
  createTestDatabase,
  deleteKeys,
  parsePrometheusText,
  readTrivyFixture,
  redisUrl,
  type TestDatabase,
} from "@vulntriage/test-utils";
import { generateReport } from "@vulntriage/test-utils/generate-report";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApiProcess } from "./api-process.js";
import { createTestKey, startTestApi, type TestApi, uploadReport } from "./helpers.js";

const FIXTURE = "securecodebox/main/juice-shop-v10.2.0.json";

async function scrape(api: TestApi, headers: Record<string, string> = {}) {
  const response = await fetch(`${api.url}/metrics`, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const tokenFor = (api: TestApi, scopes: Scope[]) =>
  createTestKey(api.database, `metrics-${scopes.join("-").replace(/:/g, "-")}`, scopes);

describe("GET /metrics on the API", () => {
  let api: TestApi;
  let other: TestApi;

  beforeAll(async () => {
    [api, other] = await Promise.all([startTestApi(), startTestApi()]);
  });
  afterAll(async () => {
    await Promise.all([api?.close(), other?.close()]);
  });

  it("should count a created upload, its findings and its duration, then a duplicate and a refusal", async () => {
    const body = readTrivyFixture(FIXTURE);
    const created = await uploadReport(api.url, body);
    expect(created.status).toBe(201);
    const duplicate = await uploadReport(api.url, body);
    expect(duplicate.status).toBe(200);
    expect((await uploadReport(api.url, "{not json")).status).toBe(400);
    expect((await uploadReport(api.url, JSON.stringify({ kind: "sbom" }))).status).toBe(422);

    const { status, headers, text } = await scrape(api);
    expect(status).toBe(200);
    expect(headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = parsePrometheusText(text);
    expect(metrics.value("vulntriage_uploads_total", { outcome: "created" })).toBe(1);
    expect(metrics.value("vulntriage_uploads_total", { outcome: "duplicate" })).toBe(1);
    expect(metrics.value("vulntriage_uploads_total", { outcome: "refused" })).toBe(2);
    expect(metrics.value("vulntriage_uploads_total", { outcome: "busy" })).toBe(0);
    expect(metrics.value("vulntriage_uploads_total", { outcome: "failed" })).toBe(0);
    expect(metrics.value("vulntriage_findings_ingested_total")).toBe(created.body.findings_ingested);
    expect(created.body.findings_ingested).toBeGreaterThan(0);
    expect(metrics.types.get("vulntriage_ingest_duration_seconds")).toBe("histogram");
    expect(metrics.value("vulntriage_ingest_duration_seconds_count", { outcome: "created" })).toBe(1);
    expect(metrics.value("vulntriage_ingest_duration_seconds_count", { outcome: "duplicate" })).toBe(1);
    const sum = metrics.value("vulntriage_ingest_duration_seconds_sum", { outcome: "created" }) as number;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(60);
    expect(metrics.value("vulntriage_ingest_duration_seconds_bucket", { outcome: "created", le: "60" })).toBe(
      1,
    );
    expect(
      metrics.value("vulntriage_ingest_duration_seconds_bucket", { outcome: "created", le: "0.01" }),
    ).toBe(sum <= 0.01 ? 1 : 0);
    // Cache hits and LLM requests exist from the start, at 0, on every label value.
    expect(metrics.value("vulntriage_analysis_cache_hits_total", { site: "analyze" })).toBe(0);
    expect(metrics.value("vulntriage_llm_requests_total", { outcome: "success" })).toBe(0);
  });

  it("should serve prom-client's process metrics and keep each app's counters its own", async () => {
    const mine = parsePrometheusText((await scrape(api)).text);
    expect(mine.types.get("process_cpu_user_seconds_total")).toBe("counter");
    expect(mine.value("nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(mine.value("process_resident_memory_bytes")).toBeGreaterThan(0);
    const theirs = parsePrometheusText((await scrape(other)).text);
    expect(theirs.value("vulntriage_uploads_total", { outcome: "created" })).toBe(0);
    expect(theirs.value("vulntriage_findings_ingested_total")).toBe(0);
  });

  it("should leave /metrics out of the OpenAPI document", async () => {
    const spec = (await (await fetch(`${api.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).not.toContain("/metrics");
  });
});

describe("who may read /metrics", () => {
  const apis: TestApi[] = [];
  afterAll(async () => {
    await Promise.all(apis.map((api) => api.close()));
  });
  const start = async (metrics?: "off" | "public" | "key") => {
    const api = await startTestApi({ access: { authMode: "required" }, authCacheMs: 0, metrics });
    apis.push(api);
    return api;
  };

  it("should need a key with scope read by default (METRICS=key)", async () => {
    const api = await start();
    const none = await scrape(api);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(JSON.parse(none.text)).toMatchObject({ error: "unauthorized" });
    const writer = await scrape(api, { authorization: `Bearer ${await tokenFor(api, ["scans:write"])}` });
    expect(writer.status).toBe(403);
    expect(JSON.parse(writer.text).message).toContain("read");
    const reader = await scrape(api, { authorization: `Bearer ${await tokenFor(api, ["read"])}` });
    expect(reader.status).toBe(200);
    expect(parsePrometheusText(reader.text).types.get("vulntriage_uploads_total")).toBe("counter");
    const admin = await scrape(api, { "x-api-key": await tokenFor(api, ["admin"]) });
    expect(admin.status).toBe(200);
  });

  it("should answer anyone with METRICS=public and nobody with METRICS=off", async () => {
    expect((await scrape(await start("public"))).status).toBe(200);
    const off = await scrape(await start("off"));
    expect(off.status).toBe(404);
    expect(JSON.parse(off.text)).toMatchObject({ error: "not_found" });
  });
});

describe("queue gauges on the API", () => {
  const prefix = `test-metrics-${process.pid}-${Date.now()}`;
  const queue = createAnalysisQueue({ redisUrl: redisUrl(), prefix, maxAttempts: 1, retryDelayMs: 10 });
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ queue, analyzeOnIngest: false });
  });
  afterAll(async () => {
    await api?.close();
    await queue.close();
    await deleteKeys(prefix);
  });

  it("should show the jobs of each queue per state, read at scrape time", async () => {
    await queue.queue.add("prepare-scan", { scanId: 1 });
    await queue.queue.add("prepare-scan", { scanId: 2 }, { delay: 60_000 });
    await queue.queue.add("analyze-prompt", { promptHash: "a" }, { priority: 3 });
    await queue.enrichScan(7);
    const metrics = parsePrometheusText((await scrape(api)).text);
    expect(metrics.types.get("vulntriage_queue_jobs")).toBe("gauge");
    expect(metrics.value("vulntriage_queue_jobs", { queue: "analysis", state: "waiting" })).toBe(1);
    expect(metrics.value("vulntriage_queue_jobs", { queue: "analysis", state: "delayed" })).toBe(1);
    expect(metrics.value("vulntriage_queue_jobs", { queue: "analysis", state: "prioritized" })).toBe(1);
    expect(metrics.value("vulntriage_queue_jobs", { queue: "analysis", state: "active" })).toBe(0);
    expect(metrics.value("vulntriage_queue_jobs", { queue: "analysis", state: "failed" })).toBe(0);
    expect(metrics.value("vulntriage_queue_jobs", { queue: "enrichment", state: "waiting" })).toBe(1);
    expect(metrics.value("vulntriage_queue_up", { queue: "analysis" })).toBe(1);
    expect(metrics.value("vulntriage_queue_up", { queue: "enrichment" })).toBe(1);
  });

  it("should still answer, quickly, with the queues marked down when Redis does not answer", async () => {
    const down = createAnalysisQueue({
      redisUrl: "redis://127.0.0.1:1",
      prefix,
      maxAttempts: 1,
      retryDelayMs: 10,
    });
    const lonely = await startTestApi({ queue: down, analyzeOnIngest: false });
    try {
      const started = Date.now();
      const { status, text } = await scrape(lonely);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(status).toBe(200);
      const metrics = parsePrometheusText(text);
      expect(metrics.value("vulntriage_queue_up", { queue: "analysis" })).toBe(0);
      expect(metrics.value("vulntriage_queue_up", { queue: "enrichment" })).toBe(0);
      expect(metrics.samples.filter((s) => s.name === "vulntriage_queue_jobs")).toEqual([]);
      expect(metrics.value("vulntriage_uploads_total", { outcome: "created" })).toBe(0);
    } finally {
      await lonely.close();
      await down.close();
    }
  });
});

describe("metrics of the compiled API process", () => {
  let database: TestDatabase;
  let api: ApiProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startApiProcess(database.url, {
      MAX_CONCURRENT_UPLOADS: "1",
      UPLOAD_WAIT_MS: "0",
      METRICS: "public",
      AUTH_MODE: "required",
    });
  });
  afterAll(async () => {
    await api?.stop();
    await database?.drop();
  });

  it("should count uploads refused at the cap as busy, and serve METRICS=public without a key", async () => {
    const reports = Array.from({ length: 4 }, (_, i) => generateReport(3_000, 500 + i));
    const token = await createTestKey(database, "uploader", ["scans:write"]);
    const answers = await Promise.all(
      reports.map((r, i) =>
        uploadReport(api.url, r, {
          imageName: `metrics/busy:${i}`,
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    );
    const created = answers.filter((a) => a.status === 201).length;
    const busy = answers.filter((a) => a.status === 503 && a.body.error === "busy").length;
    expect(created + busy).toBe(4);
    expect(busy).toBeGreaterThan(0);
    const unauthorized = await uploadReport(api.url, reports[0] as Buffer);
    expect(unauthorized.status).toBe(401);

    const response = await fetch(`${api.url}/metrics`);
    expect(response.status).toBe(200);
    const metrics = parsePrometheusText(await response.text());
    expect(metrics.value("vulntriage_uploads_total", { outcome: "created" })).toBe(created);
    expect(metrics.value("vulntriage_uploads_total", { outcome: "busy" })).toBe(busy);
    expect(metrics.value("vulntriage_uploads_total", { outcome: "refused" })).toBe(1);
    expect(metrics.value("vulntriage_uploads_total", { outcome: "failed" })).toBe(0);
    expect(metrics.value("vulntriage_findings_ingested_total")).toBe(3_000 * created);
    // The process's queues, from REDIS_URL.
    expect(metrics.value("vulntriage_queue_up", { queue: "analysis" })).toBe(1);
  });
});
