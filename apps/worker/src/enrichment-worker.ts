import {
  ENRICHMENT_QUEUE,
  type EnrichmentJobCatalog,
  type EnrichmentSources,
  enrichScan,
  failureSummary,
  type ServiceContext,
} from "@vulntriage/core";
import { isDatabaseUnavailable } from "@vulntriage/db";
import { DelayedError, type Job, Worker } from "bullmq";
import { Redis } from "ioredis";

export type EnrichmentWorkerOptions = {
  ctx: ServiceContext;
  sources: EnrichmentSources;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  lockMs: number;
  /** How long a shutdown waits for running jobs before cutting them (their lease then expires). */
  shutdownTimeoutMs: number;
};

/**
 * The enrichment queue's consumer. A source's faults never fail a job (they are stored per id);
 * a database outage puts the job back without spending an attempt.
 */
export function startEnrichmentWorker(options: EnrichmentWorkerOptions): { close: () => Promise<void> } {
  const { ctx, sources } = options;
  // Ends NVD's rate-limit waits at a shutdown; a cut job's claimed ids are taken again after their lease.
  const shutdown = new AbortController();
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  connection.on("error", () => {});
  const worker = new Worker(
    ENRICHMENT_QUEUE,
    async (job: Job<EnrichmentJobCatalog["enrich-scan"]>, token?: string) => {
      try {
        return await enrichScan({
          ctx,
          sources,
          input: { scanId: job.data.scanId },
          signal: shutdown.signal,
        });
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          await job.moveToDelayed(Date.now() + 5_000, token);
          throw new DelayedError();
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
    },
  );
  worker.on("error", (error) => ctx.log.error({ failure: failureSummary(error) }, "enrichment worker error"));
  worker.on("failed", (job, error) =>
    ctx.log.warn(
      { id: job?.id, attempts: job?.attemptsMade, failure: failureSummary(error) },
      "enrichment job failed",
    ),
  );
  return {
    close: async () => {
      const graceful = worker.close();
      const late = new Promise<"late">((resolve) =>
        setTimeout(() => resolve("late"), options.shutdownTimeoutMs).unref(),
      );
      if ((await Promise.race([graceful, late])) === "late") {
        shutdown.abort();
        await worker.close(true);
      }
      connection.disconnect();
    },
  };
}
