import {
  ANALYSIS_QUEUE,
  type Analyzer,
  analyzePrompt,
  failureSummary,
  type JobCatalog,
  type JobName,
  PausedAnalysisError,
  PermanentAnalysisError,
  prepareScanAnalyses,
  reconcileAnalyses,
  type ServiceContext,
  WaitForEnrichmentError,
} from "@vulntriage/core";
import { isDatabaseUnavailable } from "@vulntriage/db";
import { DelayedError, type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import { Redis } from "ioredis";

export type AnalysisWorkerOptions = {
  ctx: ServiceContext;
  analyzer: Analyzer;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  lockMs: number;
  reconcileIntervalMs: number;
  /** A finding `processing` for longer than this is taken to have lost its worker. */
  processingStaleMs: number;
  shutdownTimeoutMs: number;
  /** How long a job waits before its next try while PostgreSQL or every Ollama server is away. */
  pause?: { firstMs: number; maxMs: number };
};

export type AnalysisWorker = {
  worker: Worker;
  reconcile: () => Promise<{ scans: number; prompts: number }>;
  close: () => Promise<void>;
};

type Handlers = { [K in JobName]: (job: Job<JobCatalog[K]>, signal: AbortSignal) => Promise<unknown> };

export function startAnalysisWorker(options: AnalysisWorkerOptions): AnalysisWorker {
  const { ctx, analyzer } = options;
  const shutdown = new AbortController();

  // A missing handler is a compile error: the catalog and the worker cannot drift apart.
  const handlers: Handlers = {
    "prepare-scan": (job) => prepareScanAnalyses({ ctx, input: { scanId: job.data.scanId } }),
    "analyze-prompt": async (job, signal) => {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      try {
        return await analyzePrompt({
          ctx,
          analyzer,
          input: { promptHash: job.data.promptHash, lastAttempt, signal },
        });
      } catch (error) {
        // The findings are already marked failed with the reason; BullMQ must not retry.
        if (error instanceof PermanentAnalysisError) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
  };

  const outages = trackOutages(ctx.log, options.pause ?? { firstMs: 1_000, maxMs: 30_000 });

  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  connection.on("error", () => {});
  const worker = new Worker(
    ANALYSIS_QUEUE,
    async (job: Job, token?: string) => {
      const handler = handlers[job.name as JobName] as (job: Job, signal: AbortSignal) => Promise<unknown>;
      if (!handler) throw new UnrecoverableError(`no handler for job ${job.name}`);
      try {
        const result = await handler(job, shutdown.signal);
        outages.over();
        return result;
      } catch (error) {
        // An outage is not the job's fault: it waits and tries again later without spending an
        // attempt, however long the outage lasts; the findings stay pending or processing.
        if (error instanceof WaitForEnrichmentError && !shutdown.signal.aborted) {
          await job.moveToDelayed(error.retryAt, token);
          throw new DelayedError();
        }
        const outage =
          error instanceof PausedAnalysisError ? "ollama" : isDatabaseUnavailable(error) ? "postgres" : null;
        if (outage && !shutdown.signal.aborted) {
          await job.moveToDelayed(Date.now() + outages.started(outage, error as Error), token);
          throw new DelayedError();
        }
        // Cut short by the shutdown deadline: back to the queue as it was, without spending an attempt
        // (on the last one, failing here would mark the findings failed for a deploy).
        if (shutdown.signal.aborted && !(error instanceof UnrecoverableError)) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        throw error;
      }
    },
    {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockMs,
      stalledInterval: options.lockMs,
      maxStalledCount: 3,
    },
  );
  worker.on("error", (error) => ctx.log.error({ failure: failureSummary(error) }, "worker error"));
  worker.on("failed", (job, error) =>
    ctx.log.warn(
      { job: job?.name, id: job?.id, attempts: job?.attemptsMade, failure: failureSummary(error) },
      "job failed",
    ),
  );

  const reconcile = () => reconcileAnalyses({ ctx, input: { processingStaleMs: options.processingStaleMs } });
  const runReconcile = () =>
    reconcile().then(
      (result) => {
        if (result.scans || result.prompts) ctx.log.info(result, "reconciled pending analyses");
      },
      (error) => ctx.log.warn({ failure: failureSummary(error) }, "reconcile failed; will try again"),
    );
  void runReconcile();
  const timer = setInterval(runReconcile, options.reconcileIntervalMs);
  timer.unref();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(timer);
      // Stop taking jobs and let the running ones finish; past the deadline, abort their LLM calls
      // so they end (and are retried later) instead of holding the shutdown.
      const deadline = new Promise<"late">((resolve) =>
        setTimeout(() => resolve("late"), options.shutdownTimeoutMs).unref(),
      );
      const graceful = worker.close();
      if ((await Promise.race([graceful.then(() => "done" as const), deadline])) === "late") {
        shutdown.abort();
        await Promise.race([graceful, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      }
      connection.disconnect();
    })();
    return closing;
  };

  return { worker, reconcile, close };
}

type Outage = "ollama" | "postgres";

/**
 * Logs an outage once when it starts and once when it ends. Meanwhile each job waits about as long
 * as the outage has lasted (from `firstMs` up to `maxMs`, jittered so jobs do not return together).
 */
function trackOutages(log: ServiceContext["log"], pause: { firstMs: number; maxMs: number }) {
  let current: { what: Outage; since: number } | null = null;
  return {
    started(what: Outage, error: Error): number {
      if (current?.what !== what) {
        current = { what, since: Date.now() };
        log.warn(
          { dependency: what, failure: failureSummary(error) },
          `${what === "ollama" ? "Ollama" : "PostgreSQL"} is not answering: analyses wait and resume when it does`,
        );
      }
      const lasted = Math.min(Math.max(Date.now() - current.since, pause.firstMs), pause.maxMs);
      return Math.round(lasted * (0.8 + Math.random() * 0.4));
    },
    over(): void {
      if (!current) return;
      log.info(
        { dependency: current.what, seconds: Math.round((Date.now() - current.since) / 1000) },
        "outage over: analyses resumed",
      );
      current = null;
    },
  };
}
