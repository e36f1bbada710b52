import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  ANALYSIS_QUEUE,
  type AnalysisQueue,
  type Analyzer,
  analysisSettings,
  createAnalysisQueue,
  createOllamaAnalyzer,
  type EnrichmentSources,
  enrichScan,
  hashQuestions,
  ingestReport,
  type Logger,
  PROMPT_TEMPLATE_VERSION,
  parseAnalysis,
  prepareScanAnalyses,
  type ServiceContext,
} from "@vulntriage/core";
import {
  completeFromCache,
  createDatabase,
  type DatabaseHandle,
  failFromCache,
  findPendingPromptsOfScan,
  listScanPromptSources,
  setPromptHashes,
  storeCompletedAnalysis,
} from "@vulntriage/db";
import { generateReport } from "@vulntriage/test-utils/generate-report";
import { startAnalysisWorker } from "@vulntriage/worker";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
// By path: the test-utils index pulls in vitest.
import { corpusEntryFor } from "../packages/test-utils/src/fake-ollama.js";
import { type ApiProcess, startApiProcess } from "./lib/api-process.js";
import { benchDatabaseUrl, freshDatabase } from "./lib/bench-database.js";
import { type ChildHandle, startChild } from "./lib/child-process-helper.js";
import { type LoadResult, runLoad } from "./lib/load-helper.js";
import { machineLoad } from "./lib/machine-helper.js";
import { BENCH_REDIS_URL, deleteKeys, randomPrefix, redisVersion } from "./lib/redis-helper.js";
import { median, ms } from "./lib/stats.js";
import { timedUpload } from "./lib/upload.js";
import { benchQuestions } from "./questions.js";
import { benchRepairs } from "./repairs.js";

// Every figure is a ratio against a baseline measured in this run, alternating baseline and system
// under test, with an instantly answering fake Ollama in its own process.
const ROUNDS = Number(process.env.BENCH_ANALYSIS_ROUNDS ?? 5);
const WORKER_ROUNDS = Number(process.env.BENCH_WORKER_ROUNDS ?? 3);
const WORKER_JOBS = Number(process.env.BENCH_WORKER_JOBS ?? 500);
const GET_FINDINGS = Number(process.env.BENCH_GET_FINDINGS ?? 2_000);
const WORKER_CONCURRENCIES = (process.env.BENCH_WORKER_CONCURRENCY ?? "1,4").split(",").map(Number);
const ENQUEUE_FINDINGS = Number(process.env.BENCH_ENQUEUE_FINDINGS ?? 10_000);
const INGEST_FINDINGS = Number(process.env.BENCH_FINDINGS ?? 10_000);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const LOAD_ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 5);
const LOAD_CONNECTIONS = 32;
const PORT = Number(process.env.BENCH_PORT ?? 3917);
const MODEL = "llama3.2:3b";
const CHUNK = 500;
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const settings = analysisSettings({ model: MODEL, analyzeOnIngest: true, analyzeMinSeverity: "UNKNOWN" });

/** Counts what the code under test logs: a warning or error during a timed run makes it suspect. */
function countingLogger(): Logger & { warnings: number; errors: number; last?: string } {
  const log = {
    warnings: 0,
    errors: 0,
    last: undefined as string | undefined,
    info: () => {},
    warn: (details: object, message: string) => {
      log.warnings++;
      log.last = `${message} ${JSON.stringify(details)}`;
    },
    error: (details: object, message: string) => {
      log.errors++;
      log.last = `${message} ${JSON.stringify(details)}`;
    },
  };
  return log;
}

const runs = (values: number[], digits = 0) => values.map((v) => v.toFixed(digits)).join(", ");
const ratio = (a: number, b: number) => (a / b).toFixed(2);
/** Per-round ratios of neighbouring runs: steadier than a ratio of medians when the machine drifts. */
const paired = (num: number[], den: number[]) => {
  const ratios = num.map((n, i) => n / (den[i] as number));
  return `paired per round: ${ratios.map((r) => r.toFixed(2)).join(", ")} (median ${median(ratios).toFixed(2)})`;
};
const sleep = (msDelay: number) => new Promise((resolve) => setTimeout(resolve, msDelay));

function version(pkg: string): string {
  try {
    return JSON.parse(readFileSync(`${ROOT}node_modules/${pkg}/package.json`, "utf8")).version;
  } catch {
    return "?";
  }
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A scan with `findings` pending findings (distinct prompts), ingested in-process without a queue. */
async function seedScan(database: DatabaseHandle, findings: number, seed: number): Promise<number> {
  const ctx: ServiceContext = { db: database.db, analysis: settings, log: countingLogger() };
  const result = await ingestReport({
    ctx,
    input: { body: generateReport(findings, seed), imageName: `bench/analysis-${seed}:1` },
  });
  if (result.duplicate) throw new Error("seed scan already present");
  return result.scan.id;
}

async function vacuumAndCheckpoint(database: DatabaseHandle): Promise<void> {
  await database.pool.query("vacuum analyze container_findings");
  await database.pool.query("vacuum analyze llm_analyses");
  await database.pool.query("checkpoint");
}

function distinctHashes(n: number, salt: string): string[] {
  return Array.from({ length: n }, (_, i) => createHash("sha256").update(`${salt}:${i}`).digest("hex"));
}

// ---------------------------------------------------------------------------------------------
// 1. Worker throughput: the real analysis worker vs a bare BullMQ no-op worker.

async function bareDrain(
  bench: DatabaseHandle,
  bareQueue: Queue,
  prefix: string,
  hashes: string[],
  concurrency: number,
): Promise<number> {
  // The same quiet start as the real worker gets: no autovacuum or checkpoint left over from it.
  await vacuumAndCheckpoint(bench);
  await deleteKeys(prefix);
  for (let start = 0; start < hashes.length; start += CHUNK) {
    await bareQueue.addBulk(
      hashes
        .slice(start, start + CHUNK)
        .map((promptHash) => ({ name: "analyze-prompt", data: { promptHash } })),
    );
  }
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  let completed = 0;
  let finished: (at: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finished = resolve;
  });
  const started = performance.now();
  const worker = new Worker(ANALYSIS_QUEUE, async () => {}, { connection, prefix, concurrency });
  worker.on("completed", () => {
    if (++completed === hashes.length) finished(performance.now());
  });
  worker.on("error", () => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(Number.NaN), 120_000);
  });
  const ended = await Promise.race([done, timeout]);
  clearTimeout(timer);
  await worker.close();
  connection.disconnect();
  if (Number.isNaN(ended)) throw new Error(`bare worker completed ${completed}/${hashes.length} in 120 s`);
  return hashes.length / ((ended - started) / 1000);
}

async function realDrain(args: {
  ctx: ServiceContext;
  bench: DatabaseHandle;
  prefix: string;
  scanId: number;
  concurrency: number;
  fake: ChildHandle<{ url: string }>;
  log: ReturnType<typeof countingLogger>;
  timing: Timing;
}): Promise<{ jobsPerSecond: number; llmCalls: number; split: JobSplit }> {
  const { ctx, bench, prefix, scanId, concurrency, fake, log, timing } = args;
  await bench.pool.query("delete from llm_analyses");
  await bench.pool.query(
    `update container_findings set llm_analysis_status = 'pending', llm_analysis_summary = null,
       llm_analysis_recommendations = null, llm_analysis_risk_score = null, llm_analysis_timestamp = null,
       llm_analysis_prompt_hash = null, llm_analysis_error = null, llm_analysis_started_at = null
     where scan_id = $1`,
    [scanId],
  );
  await vacuumAndCheckpoint(bench);
  await deleteKeys(prefix);
  const prepared = await prepareScanAnalyses({ ctx, input: { scanId } });
  if (prepared.enqueued !== WORKER_JOBS)
    throw new Error(`expected ${WORKER_JOBS} jobs enqueued, got ${JSON.stringify(prepared)}`);
  const callsBefore = (await fake.ask<{ chatCalls: number }>("stats")).chatCalls;
  const warningsBefore = log.warnings + log.errors;
  const ollama = createOllamaAnalyzer({ host: fake.ready.url, timeoutMs: 600_000 });
  // Times the LLM calls (real ollama client → fake over HTTP); the worker sees the same analyzer.
  const analyzer: Analyzer = {
    chat: async (...chatArgs) => {
      const t = performance.now();
      try {
        return await ollama.chat(...chatArgs);
      } finally {
        timing.llmMs += performance.now() - t;
      }
    },
  };
  timing.dbMs = 0;
  timing.dbStatements = 0;
  timing.llmMs = 0;

  const started = performance.now();
  let elapsed = Number.NaN;
  const running = startAnalysisWorker({
    ctx,
    analyzer,
    redisUrl: BENCH_REDIS_URL,
    prefix,
    concurrency,
    // The production defaults (config.ts).
    lockMs: 30_000,
    reconcileIntervalMs: 120_000,
    processingStaleMs: 600_000 + 60_000,
    shutdownTimeoutMs: 20_000,
  });
  try {
    await waitUntil(
      `${WORKER_JOBS} findings completed`,
      async () => {
        const { rows } = await bench.pool.query<{ n: number }>(
          "select count(*)::int as n from container_findings where scan_id = $1 and llm_analysis_status = 'completed'",
          [scanId],
        );
        return rows[0]?.n === WORKER_JOBS;
      },
      120_000,
    );
    elapsed = performance.now() - started;
  } finally {
    await running.close();
  }
  const llmCalls = (await fake.ask<{ chatCalls: number }>("stats")).chatCalls - callsBefore;
  if (log.warnings + log.errors > warningsBefore) throw new Error(`the worker logged: ${log.last}`);
  const perJob = (value: number) => value / WORKER_JOBS;
  return {
    jobsPerSecond: WORKER_JOBS / (elapsed / 1000),
    llmCalls,
    split: {
      totalMs: perJob(elapsed),
      dbMs: perJob(timing.dbMs),
      dbStatements: perJob(timing.dbStatements),
      llmMs: perJob(timing.llmMs),
    },
  };
}

type Timing = { dbMs: number; dbStatements: number; llmMs: number };
type JobSplit = { totalMs: number; dbMs: number; dbStatements: number; llmMs: number };

/** Adds up the time the worker's pool spends in queries (a few µs of overhead per statement). */
function timePool(database: DatabaseHandle, timing: Timing): void {
  const pool = database.pool as unknown as { query: (...args: unknown[]) => unknown };
  const query = pool.query.bind(pool);
  pool.query = (...args: unknown[]) => {
    const t = performance.now();
    const result = query(...args) as Promise<unknown> | undefined;
    if (result && typeof result.then === "function") {
      result.then(
        () => {
          timing.dbMs += performance.now() - t;
          timing.dbStatements++;
        },
        () => {},
      );
    }
    return result;
  };
}

async function benchWorker(fake: ChildHandle<{ url: string }>): Promise<void> {
  console.log(
    `\n## 1. Worker throughput: ${WORKER_JOBS} findings with distinct prompts, enqueued first; fake Ollama in its own process answering at once (${process.env.BENCH_FAKE_ANSWER === "corpus" ? "corpus answers, ~96 NDJSON chunks each" : "a minimal valid answer, 13 NDJSON chunks; BENCH_FAKE_ANSWER=corpus for the ~96-chunk corpus answers"}); ${WORKER_ROUNDS} rounds`,
  );
  const prefix = randomPrefix();
  const name = "vulntriage_bench_worker";
  const bench = await freshDatabase(name);
  // The worker's own pool, sized as in production (createDatabase's default).
  const workerDb = createDatabase(benchDatabaseUrl(name), { applicationName: "vulntriage-worker" });
  const timing: Timing = { dbMs: 0, dbStatements: 0, llmMs: 0 };
  timePool(workerDb, timing);
  const queue = createAnalysisQueue({
    redisUrl: BENCH_REDIS_URL,
    prefix,
    maxAttempts: 5,
    retryDelayMs: 5_000,
  });
  const bareConnection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  const bareQueue = new Queue(ANALYSIS_QUEUE, {
    connection: bareConnection,
    prefix,
    defaultJobOptions: { removeOnComplete: { count: 1_000 } },
  });
  const log = countingLogger();
  const ctx: ServiceContext = { db: workerDb.db, queue, analysis: settings, log };
  try {
    const scanId = await seedScan(workerDb, WORKER_JOBS, 7);
    const hashes = distinctHashes(WORKER_JOBS, "bare-worker");
    const bare = new Map<number, number[]>(WORKER_CONCURRENCIES.map((c) => [c, []]));
    const real = new Map<number, number[]>(WORKER_CONCURRENCIES.map((c) => [c, []]));
    const splits = new Map<number, JobSplit[]>(WORKER_CONCURRENCIES.map((c) => [c, []]));
    const calls: number[] = [];
    const realRound = async (c: number) => {
      const r = await realDrain({ ctx, bench, prefix, scanId, concurrency: c, fake, log, timing });
      real.get(c)?.push(r.jobsPerSecond);
      splits.get(c)?.push(r.split);
      calls.push(r.llmCalls);
    };
    // Warm both paths once (JIT, connections, the database's caches), untimed.
    await bareDrain(bench, bareQueue, prefix, hashes, 1);
    await realDrain({ ctx, bench, prefix, scanId, concurrency: 4, fake, log, timing });
    for (let round = 0; round < WORKER_ROUNDS; round++) {
      for (const c of WORKER_CONCURRENCIES) {
        if (round % 2 === 0) {
          bare.get(c)?.push(await bareDrain(bench, bareQueue, prefix, hashes, c));
          await realRound(c);
        } else {
          await realRound(c);
          bare.get(c)?.push(await bareDrain(bench, bareQueue, prefix, hashes, c));
        }
      }
    }
    for (const c of WORKER_CONCURRENCIES) {
      const b = bare.get(c) as number[];
      const r = real.get(c) as number[];
      const sp = splits.get(c) as JobSplit[];
      const m = (key: keyof JobSplit) => median(sp.map((x) => x[key]));
      console.log(`concurrency ${c}:`);
      console.log(`  (a) bare BullMQ no-op worker  ${median(b).toFixed(0)} jobs/s   runs: ${runs(b)}`);
      console.log(`  (b) analysis worker           ${median(r).toFixed(0)} jobs/s   runs: ${runs(r)}`);
      console.log(
        `  (b)/(a) = ${ratio(median(r), median(b))}   (goal >= 0.50)   wall time per job: ${(1000 / median(b)).toFixed(2)} ms vs ${(1000 / median(r)).toFixed(2)} ms`,
      );
      console.log(`  ${paired(r, b)}`);
      if (c === 1) {
        console.log(
          `  per job at concurrency 1 (medians): ${m("dbStatements").toFixed(1)} PostgreSQL statements ${m("dbMs").toFixed(2)} ms, LLM call (ollama client → fake over HTTP) ${m("llmMs").toFixed(2)} ms, BullMQ + prompt build/hash + parse ${(m("totalMs") - m("dbMs") - m("llmMs")).toFixed(2)} ms`,
        );
      }
    }
    const wrongCalls = calls.filter((n) => n !== WORKER_JOBS);
    console.log(
      `LLM calls per run: ${wrongCalls.length === 0 ? `${WORKER_JOBS} every time (one per distinct prompt)` : runs(calls)}`,
    );
  } finally {
    await bareQueue.close();
    bareConnection.disconnect();
    await queue.close();
    await workerDb.close();
    await bench.drop();
    await deleteKeys(prefix);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Enqueue of 10,000 findings: prepareScanAnalyses vs a bare chunked addBulk.

async function resetPrepared(database: DatabaseHandle, scanId: number): Promise<void> {
  await database.pool.query(
    `update container_findings set llm_prompt_hash = null, llm_prompt_config = null,
       llm_analysis_status = 'pending' where scan_id = $1`,
    [scanId],
  );
  await vacuumAndCheckpoint(database);
}

type Split = { read: number; build: number; write: number; cache: number; pending: number; addBulk: number };

/** The same steps as prepareScanAnalyses, in the same order through the same functions, timed one by one. */
async function preparedSplit(ctx: ServiceContext, queue: AnalysisQueue, scanId: number): Promise<Split> {
  const { db } = ctx;
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const elapsed = now - t;
    t = now;
    return elapsed;
  };
  const all = await listScanPromptSources(db, scanId, settings.configKey);
  const read = lap();
  const { ids, hashes, distinct } = hashQuestions(all, settings.prompt);
  const build = lap();
  await setPromptHashes(db, ids, hashes, settings.configKey);
  const write = lap();
  const answered = await completeFromCache(db, [...distinct]);
  await failFromCache(
    db,
    [...distinct].filter((h) => !answered.has(h)),
  );
  const cache = lap();
  const toAsk = await findPendingPromptsOfScan(db, scanId, settings.configKey);
  const pending = lap();
  await queue.analyzePrompts(toAsk);
  const addBulk = lap();
  if (toAsk.length !== ENQUEUE_FINDINGS) throw new Error(`split enqueued ${toAsk.length}`);
  return { read, build, write, cache, pending, addBulk };
}

async function benchEnqueue(): Promise<void> {
  const prefix = randomPrefix();
  console.log(
    `\n## 2. Enqueue: prepareScanAnalyses of a scan with ${ENQUEUE_FINDINGS} pending findings (distinct prompts) vs bare addBulk, ${ROUNDS} rounds`,
  );
  const name = "vulntriage_bench_enqueue";
  const database = await freshDatabase(name);
  const queue = createAnalysisQueue({
    redisUrl: BENCH_REDIS_URL,
    prefix,
    maxAttempts: 5,
    retryDelayMs: 5_000,
  });
  const bareConnection = new Redis(BENCH_REDIS_URL);
  const bareQueue = new Queue(ANALYSIS_QUEUE, { connection: bareConnection, prefix });
  const log = countingLogger();
  const ctx: ServiceContext = { db: database.db, queue, analysis: settings, log };
  try {
    const scanId = await seedScan(database, ENQUEUE_FINDINGS, 11);
    const hashes = distinctHashes(ENQUEUE_FINDINGS, "bare-enqueue");
    const bare = async () => {
      await deleteKeys(prefix);
      const started = performance.now();
      for (let start = 0; start < hashes.length; start += CHUNK) {
        await bareQueue.addBulk(
          hashes
            .slice(start, start + CHUNK)
            .map((promptHash) => ({ name: "analyze-prompt", data: { promptHash } })),
        );
      }
      return performance.now() - started;
    };
    const real = async () => {
      await resetPrepared(database, scanId);
      await deleteKeys(prefix);
      const started = performance.now();
      const result = await prepareScanAnalyses({ ctx, input: { scanId } });
      const elapsed = performance.now() - started;
      if (result.enqueued !== ENQUEUE_FINDINGS) throw new Error(`enqueued ${JSON.stringify(result)}`);
      const counts = await queue.queue.getJobCounts("prioritized", "waiting");
      if ((counts.prioritized ?? 0) + (counts.waiting ?? 0) !== ENQUEUE_FINDINGS)
        throw new Error(`Redis holds ${JSON.stringify(counts)} jobs, expected ${ENQUEUE_FINDINGS}`);
      return elapsed;
    };
    const split = async () => {
      await resetPrepared(database, scanId);
      await deleteKeys(prefix);
      return preparedSplit(ctx, queue, scanId);
    };
    await bare();
    await real();
    const a: number[] = [];
    const b: number[] = [];
    const s: Split[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        a.push(await bare());
        b.push(await real());
      } else {
        b.push(await real());
        a.push(await bare());
      }
      s.push(await split());
    }
    const part = (key: keyof Split) => median(s.map((x) => x[key]));
    console.log(`(a) bare addBulk, chunks of ${CHUNK}, no dedup   ${ms(median(a))}   runs: ${runs(a)}`);
    console.log(`(b) prepareScanAnalyses                      ${ms(median(b))}   runs: ${runs(b)}`);
    console.log(`(b)/(a) = ${ratio(median(b), median(a))}   (goal <= 1.3)   ${paired(b, a)}`);
    const total = (Object.keys(s[0] as Split) as (keyof Split)[]).reduce((sum, k) => sum + part(k), 0);
    console.log(`split of (b), same steps timed one by one (medians; total ${ms(total)}):`);
    console.log(`  read pending findings + scan (select)     ${ms(part("read"))}`);
    console.log(`  build prompts + SHA-256 hashes (CPU)      ${ms(part("build"))}`);
    console.log(`  write prompt hashes (update … unnest)     ${ms(part("write"))}`);
    console.log(`  cache check (complete/failFromCache)      ${ms(part("cache"))}`);
    console.log(`  read distinct pending prompts (group by)  ${ms(part("pending"))}`);
    console.log(`  addBulk, dedup ids + priorities           ${ms(part("addBulk"))}`);
    console.log(
      `  → DB total ${ms(part("read") + part("write") + part("cache") + part("pending"))}, CPU ${ms(part("build"))}, Redis ${ms(part("addBulk"))}`,
    );
    console.log(
      `enqueue step alone (analyzePrompts: addBulk with deduplication ids and priorities) / (a) = ${ratio(part("addBulk"), median(a))}   (T4 in performance.md §8 compares this step: goal <= 1.3)`,
    );
  } finally {
    await bareQueue.close();
    bareConnection.disconnect();
    await queue.close();
    await database.drop();
    await deleteKeys(prefix);
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Ingest of the 10k report over HTTP with analysis on ingest enabled vs disabled.

async function benchIngestWithAnalysis(): Promise<void> {
  const prefix = randomPrefix();
  const bytes = generateReport(INGEST_FINDINGS);
  console.log(
    `\n## 3. Ingest over HTTP: ${INGEST_FINDINGS} findings, ${(bytes.length / 1e6).toFixed(1)} MB, ANALYZE_ON_INGEST=true (real queue) vs false, ${ROUNDS} rounds`,
  );
  const name = "vulntriage_bench_ingest_analysis";
  const database = await freshDatabase(name);
  const env = {
    DATABASE_URL: benchDatabaseUrl(name),
    REDIS_URL: BENCH_REDIS_URL,
    QUEUE_PREFIX: prefix,
    OLLAMA_MODEL: MODEL,
  };
  const inspectConnection = new Redis(BENCH_REDIS_URL);
  const inspect = new Queue(ANALYSIS_QUEUE, { connection: inspectConnection, prefix });
  let off: ApiProcess | undefined;
  let on: ApiProcess | undefined;
  try {
    off = await startApiProcess({ ...env, ANALYZE_ON_INGEST: "false" }, PORT);
    on = await startApiProcess({ ...env, ANALYZE_ON_INGEST: "true" }, PORT + 1);
    const reset = async () => {
      await database.pool.query("truncate container_scans cascade");
      await database.pool.query("checkpoint");
    };
    const pending = async () =>
      (
        await database.pool.query<{ n: number }>(
          "select count(*)::int as n from container_findings where llm_analysis_status = 'pending'",
        )
      ).rows[0]?.n;
    const jobs = async () => {
      const counts = await inspect.getJobCounts("prioritized", "waiting");
      return (counts.prioritized ?? 0) + (counts.waiting ?? 0);
    };
    const offRun = async (image: string) => {
      await reset();
      return timedUpload(off?.url as string, bytes, image, 201);
    };
    const onRun = async (image: string) => {
      await reset();
      const jobsBefore = await jobs();
      const elapsed = await timedUpload(on?.url as string, bytes, image, 201);
      // Meaningful only if analysis really was requested: findings pending, one prepare-scan job.
      if ((await pending()) !== INGEST_FINDINGS)
        throw new Error("ANALYZE_ON_INGEST=true left findings not pending");
      if ((await jobs()) !== jobsBefore + 1)
        throw new Error("ANALYZE_ON_INGEST=true enqueued no prepare-scan job");
      return elapsed;
    };
    await offRun("warmup-off");
    if ((await pending()) !== 0) throw new Error("ANALYZE_ON_INGEST=false marked findings pending");
    await onRun("warmup-on");
    const a: number[] = [];
    const b: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        a.push(await offRun(`off-${round}`));
        b.push(await onRun(`on-${round}`));
      } else {
        b.push(await onRun(`on-${round}`));
        a.push(await offRun(`off-${round}`));
      }
    }
    console.log(`(a) upload until 201, analysis off   ${ms(median(a))}   runs: ${runs(a)}`);
    console.log(`(b) upload until 201, analysis on    ${ms(median(b))}   runs: ${runs(b)}`);
    console.log(
      `(b)/(a) = ${ratio(median(b), median(a))}   (enqueueing must not hold the upload noticeably longer; +${ms(median(b) - median(a))})`,
    );
    console.log(paired(b, a));
    console.log(`API peak RSS: off ${off.peakRssMb().toFixed(0)} MB, on ${on.peakRssMb().toFixed(0)} MB`);
  } finally {
    await on?.stop();
    await off?.stop();
    await inspect.close();
    inspectConnection.disconnect();
    await database.drop();
    await deleteKeys(prefix);
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Cached analyze GET under load vs a bare Fastify primary-key SELECT in its own process.

async function verifyCompleted(url: string, ids: number[], expectCached: boolean): Promise<void> {
  let next = 0;
  const problems: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as number;
        const response = await fetch(`${url}/api/llm/analyze/container/${id}`);
        const body = (await response.json()) as { status?: string; cached?: boolean };
        if (response.status !== 200 || body.status !== "completed" || (expectCached && body.cached !== true))
          problems.push(`${id}: ${response.status} ${JSON.stringify(body).slice(0, 120)}`);
      }
    }),
  );
  if (problems.length > 0)
    throw new Error(`${url} did not answer completed for ${problems.length} ids, e.g. ${problems[0]}`);
}

/**
 * A scan whose findings are all completed, written through the worker's own write path: prompt
 * hashes from prepareScanAnalyses, then storeCompletedAnalysis per prompt with a parsed corpus answer.
 */
const OFFLINE_SOURCES: EnrichmentSources = {
  kev: null,
  epssUrl: null,
  nvd: null,
  osvApiRoot: null,
  timeoutMs: 1_000,
  kevFreshMs: 3_600_000,
  leaseMs: 60_000,
  backoff: { firstMs: 60_000, maxMs: 3_600_000 },
};

async function seedCompleted(database: DatabaseHandle, prefix: string): Promise<number[]> {
  const queue = createAnalysisQueue({
    redisUrl: BENCH_REDIS_URL,
    prefix,
    maxAttempts: 5,
    retryDelayMs: 5_000,
  });
  try {
    const ctx: ServiceContext = { db: database.db, queue, analysis: settings, log: countingLogger() };
    const scanId = await seedScan(database, GET_FINDINGS, 23);
    // As after every upload: the enrichment job stores each finding's explained risk (offline here,
    // so nothing is fetched), which the analyze answer then reads with the finding's state.
    await enrichScan({ ctx, sources: OFFLINE_SOURCES, input: { scanId } });
    await prepareScanAnalyses({ ctx, input: { scanId } });
    const prompts = await findPendingPromptsOfScan(database.db, scanId, settings.configKey);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < prompts.length) {
          const { promptHash } = prompts[next++] as { promptHash: string };
          const entry = corpusEntryFor(promptHash);
          const parsed = parseAnalysis(entry.answer);
          await storeCompletedAnalysis(database.db, {
            promptHash,
            templateVersion: PROMPT_TEMPLATE_VERSION,
            model: MODEL,
            ...parsed,
            rawOutput: entry.answer,
            doneReason: "stop",
            promptTokens: 400,
            outputTokens: 150,
            durationMs: 9_000,
            repairs: 0,
          });
        }
      }),
    );
    await vacuumAndCheckpoint(database);
    const { rows } = await database.pool.query<{ id: number }>(
      "select id from container_findings where scan_id = $1 and llm_analysis_status = 'completed' order by id",
      [scanId],
    );
    return rows.map((r) => Number(r.id));
  } finally {
    await queue.close();
    await deleteKeys(prefix);
  }
}

async function benchAnalyzeGet(): Promise<void> {
  console.log(
    `\n## 4. Cached analyze GET: ${GET_FINDINGS} completed findings, autocannon ${LOAD_CONNECTIONS} connections × ${LOAD_SECONDS} s, ${LOAD_ROUNDS} rounds each`,
  );
  const prefix = randomPrefix();
  const name = "vulntriage_bench_analyze_get";
  const database = await freshDatabase(name);
  const ids = await seedCompleted(database, prefix).catch(async (error) => {
    await database.drop();
    throw error;
  });
  if (ids.length !== GET_FINDINGS) {
    await database.drop();
    throw new Error(`only ${ids.length}/${GET_FINDINGS} findings are completed`);
  }
  // Pseudo-random order, the same for both servers, so neighbouring requests hit different rows.
  const paths = ids
    .map((id, i) => ({ id, key: (i * 2654435761) % 4294967296 }))
    .sort((x, y) => x.key - y.key)
    .map(({ id }) => `/api/llm/analyze/container/${id}`);
  let api: ApiProcess | undefined;
  let bare: ChildHandle<{ url: string }> | undefined;
  try {
    api = await startApiProcess(
      {
        DATABASE_URL: benchDatabaseUrl(name),
        REDIS_URL: BENCH_REDIS_URL,
        QUEUE_PREFIX: prefix,
        OLLAMA_MODEL: MODEL,
        ANALYZE_ON_INGEST: "false",
      },
      PORT + 2,
    );
    bare = await startChild<{ url: string }>("./bare-analysis-server-helper.ts", {
      BARE_DATABASE_URL: benchDatabaseUrl(name),
      BARE_PORT: String(PORT + 3),
      BARE_POOL_SIZE: "10", // createDatabase's default, which the API uses
    });
    await verifyCompleted(api.url, ids, true);
    await verifyCompleted(bare.ready.url, ids, false);
    const load = (url: string, durationSeconds = LOAD_SECONDS) =>
      runLoad({ url, paths, connections: LOAD_CONNECTIONS, durationSeconds });
    await load(api.url, 2);
    await load(bare.ready.url, 2);
    const a: LoadResult[] = [];
    const b: LoadResult[] = [];
    for (let round = 0; round < LOAD_ROUNDS; round++) {
      if (round % 2 === 0) {
        a.push(await load(bare.ready.url));
        b.push(await load(api.url));
      } else {
        b.push(await load(api.url));
        a.push(await load(bare.ready.url));
      }
    }
    const bad = [...a, ...b].filter((r) => r.non2xx > 0 || r.errors > 0);
    if (bad.length > 0) throw new Error(`load runs with errors or non-2xx: ${JSON.stringify(bad)}`);
    const rps = (xs: LoadResult[]) => median(xs.map((x) => x.rps));
    const p99 = (xs: LoadResult[]) => median(xs.map((x) => x.p99));
    const p50 = (xs: LoadResult[]) => median(xs.map((x) => x.p50));
    console.log(
      `(a) bare Fastify + pg PK select   ${rps(a).toFixed(0)} req/s  p50 ${p50(a)} ms  p99 ${p99(a)} ms   runs: ${runs(a.map((x) => x.rps))} req/s, p99 ${runs(a.map((x) => x.p99))} ms`,
    );
    console.log(
      `(b) GET /api/llm/analyze/…        ${rps(b).toFixed(0)} req/s  p50 ${p50(b)} ms  p99 ${p99(b)} ms   runs: ${runs(b.map((x) => x.rps))} req/s, p99 ${runs(b.map((x) => x.p99))} ms`,
    );
    console.log(
      `throughput (b)/(a) = ${ratio(rps(b), rps(a))}   (goal >= 0.75)   ${paired(
        b.map((x) => x.rps),
        a.map((x) => x.rps),
      )}`,
    );
    console.log(
      `p99 (b)/(a) = ${ratio(p99(b), p99(a))}   (goal <= 1.5)   ${paired(
        b.map((x) => x.p99),
        a.map((x) => x.p99),
      )}`,
    );
    console.log(
      "(autocannon runs in the bench process on the same 2 cores as both servers; the client is identical for both)",
    );
  } finally {
    await api?.stop();
    await bare?.stop();
    await database.drop();
    await deleteKeys(prefix);
  }
}

export async function benchAnalysis(): Promise<void> {
  const admin = createDatabase(benchDatabaseUrl("postgres"), { maxConnections: 1 });
  const pgVersion = (await admin.pool.query<{ v: string }>("select current_setting('server_version') as v"))
    .rows[0]?.v;
  const sync = (await admin.pool.query<{ v: string }>("select current_setting('synchronous_commit') as v"))
    .rows[0]?.v;
  await admin.close();
  console.log(
    `\n# Analysis benchmarks — Redis ${await redisVersion()}, PostgreSQL ${pgVersion} (synchronous_commit ${sync}), bullmq ${version("bullmq")}, ioredis ${version("ioredis")}, fastify ${version("fastify")}, pg ${version("pg")}, drizzle-orm ${version("drizzle-orm")}, ollama ${version("ollama")} (client), autocannon ${version("autocannon")}`,
  );
  const idle = machineLoad();
  await sleep(1_000);
  console.log(
    `Machine before start (1 s sample, nothing of ours running): ${idle()}. Each section uses its own random Redis prefix and fresh database, both deleted at its end.`,
  );
  const started = performance.now();
  const sections = (process.env.BENCH_ANALYSIS_SECTIONS ?? "1,2,3,4,5,6").split(",");
  const run = async (section: string, bench: () => Promise<void>) => {
    if (!sections.includes(section)) return;
    const steal = machineLoad();
    await bench();
    console.log(
      `(${steal()} during this section; ${((performance.now() - started) / 1000).toFixed(0)} s so far)`,
    );
  };
  await run("1", async () => {
    const fake = await startChild<{ url: string }>("./fake-ollama-helper.ts", {
      FAKE_OLLAMA_ANSWER: process.env.BENCH_FAKE_ANSWER ?? "short",
    });
    try {
      await benchWorker(fake);
    } finally {
      await fake.stop();
    }
  });
  await run("2", benchEnqueue);
  await run("3", benchIngestWithAnalysis);
  await run("4", benchAnalyzeGet);
  await run("5", async () => benchRepairs());
  await run("6", async () => benchQuestions());
  console.log(`\nanalysis benchmarks took ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
