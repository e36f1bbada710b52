import { randomBytes } from "node:crypto";
import { buildApp } from "@vulntriage/api/app";
import {
  type AnalysisQueue,
  type Analyzer,
  analysisSettings,
  createAnalysisQueue,
  createOllamaAnalyzer,
  type ServiceContext,
  type Severity,
  silentLogger,
} from "@vulntriage/core";
import {
  createTestDatabase,
  type FakeOllama,
  listen,
  redisUrl,
  startFakeOllama,
  type TestDatabase,
} from "@vulntriage/test-utils";
import { Redis } from "ioredis";
import { type AnalysisWorker, startAnalysisWorker } from "../src/analysis-worker";

export type Stack = {
  url: string;
  database: TestDatabase;
  fake: FakeOllama;
  queue: AnalysisQueue;
  prefix: string;
  ctx: ServiceContext;
  worker?: AnalysisWorker;
  startWorker: (overrides?: Partial<{ analyzer: Analyzer; lockMs: number }>) => AnalysisWorker;
  close: () => Promise<void>;
};

export type StackOptions = {
  model?: string;
  maxAttempts?: number;
  analyzeMinSeverity?: Severity;
  startWorker?: boolean;
  llmTimeoutMs?: number;
};

/** API, worker, real PostgreSQL and Redis (own database, own queue prefix) and a fake Ollama. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database = await createTestDatabase();
  const fake = await startFakeOllama();
  const prefix = `test-${randomBytes(6).toString("hex")}`;
  const queue = createAnalysisQueue({
    redisUrl: redisUrl(),
    prefix,
    maxAttempts: options.maxAttempts ?? 3,
    retryDelayMs: 50,
  });
  const ctx: ServiceContext = {
    database,
    queue,
    analysis: analysisSettings({
      model: options.model ?? "llama3.2:3b",
      analyzeOnIngest: true,
      analyzeMinSeverity: options.analyzeMinSeverity ?? "UNKNOWN",
    }),
    log: silentLogger,
  };
  const app = await buildApp({ ctx, maxReportBytes: 64 * 1024 * 1024 });
  const url = await listen(app);
  const workers: AnalysisWorker[] = [];
  const stack: Stack = {
    url,
    database,
    fake,
    queue,
    prefix,
    ctx,
    startWorker: (overrides = {}) => {
      const worker = startAnalysisWorker({
        ctx,
        analyzer:
          overrides.analyzer ??
          createOllamaAnalyzer({ host: fake.url, timeoutMs: options.llmTimeoutMs ?? 10_000 }),
        redisUrl: redisUrl(),
        prefix,
        concurrency: 2,
        lockMs: overrides.lockMs ?? 5_000,
        reconcileIntervalMs: 60_000,
        processingStaleMs: 60_000,
        shutdownTimeoutMs: 2_000,
      });
      workers.push(worker);
      stack.worker = worker;
      return worker;
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await app.close();
      await queue.queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await fake.close();
      await database.drop();
      await deleteKeys(prefix);
    },
  };
  if (options.startWorker !== false) stack.startWorker();
  return stack;
}

/** Leaves nothing behind in the shared Redis. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl());
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function statusCounts(database: TestDatabase, scanId?: number): Promise<Record<string, number>> {
  const { rows } = await database.pool.query<{ status: string | null; n: number }>(
    `select coalesce(llm_analysis_status, 'none') as status, count(*)::int as n from container_findings
     ${scanId === undefined ? "" : "where scan_id = $1"} group by 1`,
    scanId === undefined ? [] : [scanId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
