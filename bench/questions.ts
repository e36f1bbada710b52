import {
  analysisSettings,
  createAnalysisQueue,
  createOllamaPool,
  ingestReport,
  type Logger,
  type ServiceContext,
} from "@vulntriage/core";
import type { DatabaseHandle } from "@vulntriage/db";
import { generateReport } from "@vulntriage/test-utils/generate-report";
import { startAnalysisWorker } from "@vulntriage/worker";
// By path: the test-utils index pulls in vitest.
import { listTrivyFixtures, readTrivyFixture } from "../packages/test-utils/src/fixtures.js";
import { freshDatabase } from "./lib/bench-database.js";
import { type ChildHandle, startChild } from "./lib/child-process-helper.js";
import { BENCH_REDIS_URL, deleteKeys, randomPrefix } from "./lib/redis-helper.js";

// How many LLM calls the analysis makes, and how fast several servers finish a report: the two
// figures of LLM cost that matter more than any other speed-up.
const settings = analysisSettings({
  model: "llama3.2:3b",
  analyzeOnIngest: true,
  analyzeMinSeverity: "UNKNOWN",
});
const SERVER_FINDINGS = Number(process.env.BENCH_SERVER_FINDINGS ?? 500);
const SERVER_DELAY_MS = Number(process.env.BENCH_SERVER_DELAY_MS ?? 1_000);
const SERVER_PARALLEL = Number(process.env.BENCH_SERVER_PARALLEL ?? 4);

type Fake = ChildHandle<{ url: string }>;

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

function strictLogger(): Logger & { problems: string[] } {
  const problems: string[] = [];
  const record = (_obj: object, msg?: string) => problems.push(msg ?? "");
  return { problems, info: () => {}, warn: record, error: record };
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waiting(database: DatabaseHandle): Promise<number> {
  const { rows } = await database.pool.query<{ n: number }>(
    "select count(*)::int as n from container_findings where llm_analysis_status in ('pending', 'processing')",
  );
  return rows[0]?.n ?? 0;
}

async function stats(fake: Fake): Promise<number> {
  return (await fake.ask<{ chatCalls: number }>("stats")).chatCalls;
}

/** Runs the real worker over everything pending against these fake servers, until nothing waits. */
async function analyseAll(args: {
  database: DatabaseHandle;
  ctx: ServiceContext;
  prefix: string;
  servers: { url: string; concurrency: number }[];
  ingest: () => Promise<void>;
  timeoutMs: number;
}): Promise<number> {
  const log = strictLogger();
  const ctx = { ...args.ctx, log };
  const pool = createOllamaPool({ servers: args.servers, timeoutMs: 600_000, log });
  const worker = startAnalysisWorker({
    ctx,
    analyzer: pool,
    redisUrl: BENCH_REDIS_URL,
    prefix: args.prefix,
    concurrency: args.servers.reduce((sum, s) => sum + s.concurrency, 0),
    lockMs: 30_000,
    reconcileIntervalMs: 120_000,
    processingStaleMs: 660_000,
    shutdownTimeoutMs: 20_000,
  });
  const started = performance.now();
  let elapsed: number;
  try {
    await args.ingest();
    await waitUntil(
      "every finding analysed",
      async () => (await waiting(args.database)) === 0,
      args.timeoutMs,
    );
    elapsed = performance.now() - started;
  } finally {
    await worker.close();
  }
  // A warning during a timed run (an outage, a failed job) makes the figure suspect.
  if (log.problems.length > 0) throw new Error(`the worker logged: ${log.problems.join("; ")}`);
  return elapsed;
}

async function withStack<T>(
  name: string,
  work: (database: DatabaseHandle, ctx: ServiceContext, prefix: string) => Promise<T>,
): Promise<T> {
  const database = await freshDatabase(name);
  const prefix = randomPrefix();
  const queue = createAnalysisQueue({
    redisUrl: BENCH_REDIS_URL,
    prefix,
    maxAttempts: 5,
    retryDelayMs: 5_000,
  });
  try {
    return await work(database, { db: database.db, queue, analysis: settings, log: quiet }, prefix);
  } finally {
    await queue.close();
    await deleteKeys(prefix);
    await database.drop();
  }
}

/** (a) LLM calls per distinct per-package question over every shared fixture report. */
async function benchCallsPerQuestion(): Promise<void> {
  console.log(
    "\n## 6. LLM calls over the 70 shared fixture reports vs distinct (vulnerability, package, installed, fixed, OS) questions",
  );
  const fake = await startChild<{ url: string }>("./fake-ollama-helper.ts", { FAKE_OLLAMA_ANSWER: "short" });
  try {
    await withStack("vulntriage_bench_questions", async (database, ctx, prefix) => {
      let reports = 0;
      let refused = 0;
      const elapsed = await analyseAll({
        database,
        ctx,
        prefix,
        servers: [{ url: fake.ready.url, concurrency: 8 }],
        timeoutMs: 600_000,
        ingest: async () => {
          for (const fixture of listTrivyFixtures()) {
            try {
              await ingestReport({ ctx, input: { body: readTrivyFixture(fixture) } });
              reports++;
            } catch {
              refused++; // trivy k8s cluster reports: refused with a 422, not scans
            }
          }
        },
      });
      const { rows } = await database.pool.query<{
        findings: number;
        per_package: number;
        completed: number;
      }>(
        `select count(*)::int as findings,
           count(distinct (f.vulnerability_id, f.pkg_name, f.installed_version, f.fixed_version,
                           coalesce(f.type, f.class), s.os_family, s.os_name))::int as per_package,
           count(*) filter (where f.llm_analysis_status = 'completed')::int as completed
         from container_findings f join container_scans s on s.id = f.scan_id`,
      );
      const row = rows[0] as { findings: number; per_package: number; completed: number };
      const calls = await stats(fake);
      console.log(
        `${reports} reports ingested (${refused} refused), ${row.findings} findings, ${row.completed} completed in ${(elapsed / 1000).toFixed(1)} s`,
      );
      console.log(
        `distinct per-package questions ${row.per_package}, LLM calls ${calls}: calls / questions = ${(calls / row.per_package).toFixed(3)} (goal ≤ 0.55)`,
      );
      if (row.completed !== row.findings) throw new Error("not every finding completed");
    });
  } finally {
    await fake.stop();
  }
}

/** (c) A fresh report of distinct questions, fake servers answering after 1 s each: one server vs two. */
async function benchServers(): Promise<void> {
  console.log(
    `\n## 7. Time to analyse a fresh ${SERVER_FINDINGS}-finding report (distinct questions): fake servers answering after ${SERVER_DELAY_MS} ms, ${SERVER_PARALLEL} at a time each (OLLAMA_HOST entries *${SERVER_PARALLEL}); one server vs two`,
  );
  const env = {
    FAKE_OLLAMA_ANSWER: "short",
    FAKE_OLLAMA_DELAY_MS: String(SERVER_DELAY_MS),
    FAKE_OLLAMA_PARALLEL: String(SERVER_PARALLEL),
  };
  const fakes = await Promise.all([
    startChild<{ url: string }>("./fake-ollama-helper.ts", env),
    startChild<{ url: string }>("./fake-ollama-helper.ts", env),
  ]);
  try {
    const times: Record<string, number> = {};
    for (const [label, count] of [
      ["one server", 1],
      ["two servers", 2],
    ] as const) {
      const used = fakes.slice(0, count);
      const before = await Promise.all(used.map(stats));
      times[label] = await withStack(`vulntriage_bench_servers_${count}`, (database, ctx, prefix) =>
        analyseAll({
          database,
          ctx,
          prefix,
          servers: used.map((f) => ({ url: f.ready.url, concurrency: SERVER_PARALLEL })),
          timeoutMs: (SERVER_FINDINGS * SERVER_DELAY_MS * 3) / SERVER_PARALLEL + 60_000,
          ingest: async () => {
            await ingestReport({
              ctx,
              input: { body: generateReport(SERVER_FINDINGS, 7), imageName: `bench/servers-${count}:1` },
            });
          },
        }),
      );
      const calls = (await Promise.all(used.map(stats))).map((n, i) => n - (before[i] ?? 0));
      console.log(
        `${label.padEnd(12)} ${(times[label] / 1000).toFixed(1).padStart(6)} s   calls per server ${calls.join(" + ")}`,
      );
    }
    const speedup = (times["one server"] as number) / (times["two servers"] as number);
    console.log(`speed-up with two servers: ${speedup.toFixed(2)}× (goal ≥ 1.8×)`);
  } finally {
    await Promise.all(fakes.map((f) => f.stop()));
  }
}

export async function benchQuestions(): Promise<void> {
  const sections = (process.env.BENCH_QUESTIONS_SECTIONS ?? "6,7").split(",");
  if (sections.includes("6")) await benchCallsPerQuestion();
  if (sections.includes("7")) await benchServers();
}
