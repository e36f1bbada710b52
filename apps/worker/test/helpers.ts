import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { buildApp } from "@vulntriage/api/app";
import {
  type AnalysisQueue,
  type Analyzer,
  analysisSettings,
  buildPrompt,
  createAnalysisQueue,
  createMetrics,
  createOllamaPool,
  type EnrichmentSources,
  type Logger,
  type Metrics,
  questionInput,
  type ServiceContext,
  type Severity,
  silentLogger,
} from "@vulntriage/core";
import { loadQuestionSources } from "@vulntriage/db";
import {
  corpusEntryFor,
  createTestDatabase,
  deleteKeys,
  type FakeOllama,
  type FakeOllamaRequest,
  type LlmAnswerExpected,
  listen,
  REPO_ROOT,
  redisUrl,
  type ServiceProcess,
  spawnBuiltService,
  startFakeOllama,
  type TestDatabase,
  TS_SOURCE_EXEC_ARGV,
} from "@vulntriage/test-utils";
import { type AnalysisWorker, startAnalysisWorker } from "../src/analysis-worker.js";
import { startEnrichmentWorker } from "../src/enrichment-worker.js";

export type Stack = {
  url: string;
  database: TestDatabase;
  fake: FakeOllama;
  queue: AnalysisQueue;
  prefix: string;
  ctx: ServiceContext;
  /** With `metrics: true`: the workers' registry (the API has its own, at `${url}/metrics`). */
  workerMetrics?: Metrics;
  worker?: AnalysisWorker;
  startWorker: (overrides?: WorkerOverrides) => AnalysisWorker;
  close: () => Promise<void>;
};

type WorkerOverrides = Partial<{
  analyzer: Analyzer;
  lockMs: number;
  concurrency: number;
  reconcileIntervalMs: number;
  processingStaleMs: number;
  shutdownTimeoutMs: number;
}>;

export type StackOptions = {
  model?: string;
  maxAttempts?: number;
  retryDelayMs?: number;
  analyzeMinSeverity?: Severity;
  startWorker?: boolean;
  llmTimeoutMs?: number;
  /** Worker concurrency; default 2. */
  concurrency?: number;
  /** Share another stack's database: it is not dropped when this stack closes. */
  database?: TestDatabase;
  /** Share another stack's fake Ollama: it is not closed when this stack closes. */
  fake?: FakeOllama;
  /** Where enrichment asks; default offline (no request leaves the machine). */
  enrichment?: EnrichmentSources;
  /** false: no in-process enrichment worker (a spawned worker process consumes the queue). */
  startEnrichment?: boolean;
  /** ENRICHMENT_WAIT_MS; default 0 (prepare does not wait). */
  enrichmentWaitMs?: number;
  /** Give the workers a registry of their own (stack.workerMetrics), as a worker process has. */
  metrics?: boolean;
};

/** A logger that keeps each line's level and message, to count what a run said. */
export function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const record = (level: string) => (_obj: object, msg?: string) => lines.push({ level, msg: msg ?? "" });
  return { lines, info: record("info"), warn: record("warn"), error: record("error") };
}

/** Enrichment that asks no source: tests that want sources pass stub URLs. */
const OFFLINE: EnrichmentSources = {
  kev: null,
  epssUrl: null,
  nvd: null,
  osvApiRoot: null,
  timeoutMs: 1_000,
  kevFreshMs: 3_600_000,
  leaseMs: 60_000,
  backoff: { firstMs: 1_000, maxMs: 60_000 },
};

/** Outages in tests last milliseconds: so do the pauses they cause. */
export const TEST_BACKOFF = { firstMs: 50, maxMs: 500 };

/** API, worker, real PostgreSQL and Redis (own database, own queue prefix) and a fake Ollama. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database = options.database ?? (await createTestDatabase());
  const fake = options.fake ?? (await startFakeOllama());
  const prefix = `test-${randomBytes(6).toString("hex")}`;
  const queue = createAnalysisQueue({
    redisUrl: redisUrl(),
    prefix,
    maxAttempts: options.maxAttempts ?? 3,
    retryDelayMs: options.retryDelayMs ?? 50,
  });
  const ctx: ServiceContext = {
    db: database.db,
    queue,
    analysis: analysisSettings({
      model: options.model ?? "llama3.2:3b",
      analyzeOnIngest: true,
      analyzeMinSeverity: options.analyzeMinSeverity ?? "UNKNOWN",
      enrichmentWaitMs: options.enrichmentWaitMs ?? 0,
    }),
    log: silentLogger,
  };
  // Tests upload and read far faster than any limit allows; the limits have tests of their own.
  const app = await buildApp({
    ctx,
    maxReportBytes: 64 * 1024 * 1024,
    access: { limits: { uploadsPerMinute: 1e6, readsPerMinute: 1e6, refreshPerMinute: 1e6 } },
  });
  const url = await listen(app);
  const workerMetrics = options.metrics
    ? createMetrics({ queues: [queue.queue, queue.enrichmentQueue], defaultMetrics: false })
    : undefined;
  const workerCtx: ServiceContext = workerMetrics ? { ...ctx, metrics: workerMetrics } : ctx;
  const workers: AnalysisWorker[] = [];
  const stack: Stack = {
    url,
    database,
    fake,
    queue,
    prefix,
    ctx,
    ...(workerMetrics ? { workerMetrics } : {}),
    startWorker: (overrides = {}) => {
      const concurrency = overrides.concurrency ?? options.concurrency ?? 2;
      const worker = startAnalysisWorker({
        ctx: workerCtx,
        analyzer:
          overrides.analyzer ??
          createOllamaPool({
            servers: [{ url: fake.url, concurrency }],
            timeoutMs: options.llmTimeoutMs ?? 10_000,
            log: silentLogger,
            backoff: TEST_BACKOFF,
            metrics: workerMetrics,
          }),
        redisUrl: redisUrl(),
        prefix,
        concurrency,
        pause: TEST_BACKOFF,
        lockMs: overrides.lockMs ?? 5_000,
        reconcileIntervalMs: overrides.reconcileIntervalMs ?? 60_000,
        processingStaleMs: overrides.processingStaleMs ?? 60_000,
        shutdownTimeoutMs: overrides.shutdownTimeoutMs ?? 2_000,
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
      if (!options.fake) await fake.close();
      if (!options.database) await database.drop();
      await deleteKeys(prefix);
    },
  };
  if (options.startWorker !== false) stack.startWorker();
  const enriching =
    options.startEnrichment === false
      ? null
      : startEnrichmentWorker({
          ctx: workerCtx,
          sources: options.enrichment ?? OFFLINE,
          redisUrl: redisUrl(),
          prefix,
          concurrency: 2,
          lockMs: 5_000,
          shutdownTimeoutMs: 2_000,
        });
  const closeStack = stack.close;
  stack.close = async () => {
    await enriching?.close();
    await queue.enrichmentQueue.obliterate({ force: true }).catch(() => {});
    await closeStack();
  };
  return stack;
}

export { deleteKeys };

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

export type ReportVuln = {
  id: string;
  pkg: string;
  version?: string;
  fixed?: string;
  severity?: Severity;
  title?: string;
  description?: string;
};

/** A small Trivy `image -f json` report (SchemaVersion 2, Debian) with these vulnerabilities. */
export function trivyReport(artifactName: string, vulns: ReportVuln[]): string {
  return JSON.stringify({
    SchemaVersion: 2,
    CreatedAt: "2025-03-01T10:00:00Z",
    ArtifactName: artifactName,
    ArtifactType: "container_image",
    Metadata: { OS: { Family: "debian", Name: "12.5" } },
    Results: [
      {
        Target: `${artifactName} (debian 12.5)`,
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: vulns.map((v) => ({
          VulnerabilityID: v.id,
          PkgName: v.pkg,
          InstalledVersion: v.version ?? "1.0.0-1",
          FixedVersion: v.fixed ?? "1.0.0-2",
          Status: "fixed",
          Severity: v.severity ?? "HIGH",
          Title: v.title ?? `${v.pkg}: flaw in ${v.pkg}`,
          Description:
            v.description ??
            `A flaw was found in ${v.pkg} that lets a remote attacker cause a denial of service.`,
        })),
      },
    ],
  });
}

// API answers are untyped JSON here: the assertions are what check their shape.
export type Json = any;

export type Uploaded = { status: number; body: Json };

export async function uploadReport(
  url: string,
  body: string | Buffer,
  imageName?: string,
): Promise<Uploaded> {
  const query = imageName ? `?image_name=${encodeURIComponent(imageName)}` : "";
  const response = await fetch(`${url}/api/container/scans${query}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: response.status, body: (await response.json()) as Json };
}

export async function getJson(url: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Json };
}

export type FindingRow = {
  id: number;
  pkg: string;
  status: string | null;
  error: string | null;
  summary: string | null;
  recommendations: string[] | null;
  score: number | null;
  analysisHash: string | null;
  promptHash: string | null;
  analyzedAt: Date | null;
};

/** The analysis fields of every finding of a scan (or of all scans), by id. */
export async function findingRows(database: TestDatabase, scanId?: number): Promise<FindingRow[]> {
  const { rows } = await database.pool.query<FindingRow>(
    `select id::int, pkg_name as pkg, llm_analysis_status as status, llm_analysis_error as error,
       llm_analysis_summary as summary, llm_analysis_recommendations as recommendations,
       llm_analysis_risk_score as score, llm_analysis_prompt_hash as "analysisHash",
       llm_prompt_hash as "promptHash", llm_analysis_timestamp as "analyzedAt"
     from container_findings ${scanId === undefined ? "" : "where scan_id = $1"} order by id`,
    scanId === undefined ? [] : [scanId],
  );
  return rows;
}

/** The prompt a finding gets under the stack's settings, and the answer the fake gives it by default. */
export async function expectedFor(
  database: TestDatabase,
  ctx: ServiceContext,
  findingId: number,
): Promise<{ promptHash: string; user: string; expected: LlmAnswerExpected; answer: string }> {
  const question = await loadQuestionSources(database.db, findingId);
  if (question.length === 0) throw new Error(`no finding ${findingId}`);
  const { messages, promptHash } = buildPrompt(questionInput(question), ctx.analysis.prompt);
  const user = messages[1]?.content as string;
  const entry = corpusEntryFor(user);
  return { promptHash, user, expected: entry.expected, answer: entry.answer };
}

/** The user message of a chat request the fake received. */
export function userMessageOf(request: FakeOllamaRequest): string | undefined {
  const messages = (request.body as { messages?: { role: string; content: string }[] } | undefined)?.messages;
  return messages?.findLast((m) => m.role === "user")?.content;
}

/** The chat requests the fake received for this user message. */
export function chatRequestsFor(fake: FakeOllama, user: string): FakeOllamaRequest[] {
  return fake.requests.filter((r) => r.path === "/api/chat" && userMessageOf(r) === user);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type WorkerProcess = ServiceProcess;

/** The real worker, compiled (`apps/worker/dist/main.js`), as its own process, on the stack's database and queue. */
export function spawnWorkerProcess(stack: Stack, env: Record<string, string> = {}): WorkerProcess {
  return spawnService("apps/worker/dist/main.js", stack, env);
}

/** The real API, compiled (`apps/api/dist/server.js`), as `npm start` runs it, on the stack's database and queue. */
export function spawnApiProcess(stack: Stack, port: number, env: Record<string, string> = {}): WorkerProcess {
  return spawnService("apps/api/dist/server.js", stack, { HOST: "127.0.0.1", PORT: String(port), ...env });
}

function spawnService(entry: string, stack: Stack, env: Record<string, string>): WorkerProcess {
  return spawnBuiltService(entry, {
    DATABASE_URL: stack.database.url,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: stack.prefix,
    OLLAMA_HOST: stack.fake.url,
    // No test ever sends a request off this machine.
    ENRICHMENT: "offline",
    OLLAMA_MODEL: stack.ctx.analysis.prompt.model,
    WORKER_LOCK_MS: "2000",
    LLM_RETRY_DELAY_MS: "100",
    LOG_LEVEL: "warn",
    RECONCILE_INTERVAL_MS: "1000",
    ...env,
  });
}

export type FakeOllamaProcess = {
  url: string;
  stats: () => Promise<{ chatCalls: number; inFlight: number; outcomes: Record<string, number> }>;
  close: () => Promise<void>;
};

/** The fake Ollama (default corpus answers, no faults) in a child process of its own. */
export async function startFakeOllamaProcess(): Promise<FakeOllamaProcess> {
  const child = fork(fileURLToPath(new URL("./fake-ollama-process.ts", import.meta.url)), [], {
    cwd: REPO_ROOT,
    execArgv: TS_SOURCE_EXEC_ARGV,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: { type?: string }) => {
        if (message?.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message as T);
      };
      const onExit = () => reject(new Error("the fake Ollama process exited"));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const { url } = await next<{ url: string }>("ready");
  return {
    url,
    stats: () => {
      const answer = next<{ chatCalls: number; inFlight: number; outcomes: Record<string, number> }>("stats");
      child.send("stats");
      return answer;
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
