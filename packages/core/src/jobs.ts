import { Queue } from "bullmq";
import { Redis } from "ioredis";

export const ANALYSIS_QUEUE = "analysis";

/** Every job the worker runs, and its payload: ids and hashes only, never finding content. */
export type JobCatalog = {
  /** Compute the prompt of every pending finding of a scan, answer from the cache, enqueue the rest. */
  "prepare-scan": { scanId: number };
  /** Ask the LLM one distinct prompt and copy the answer to every finding that has it. */
  "analyze-prompt": { promptHash: string };
};

export type JobName = keyof JobCatalog;

/** Its own queue, so that a slow NVD never delays the LLM queue. */
export const ENRICHMENT_QUEUE = "enrichment";

export type EnrichmentJobCatalog = {
  /** Give the scan's vulnerability ids their rows, and ask the sources about the stale ones. */
  "enrich-scan": { scanId: number };
};

export type QueueSettings = {
  redisUrl: string;
  prefix: string;
  maxAttempts: number;
  retryDelayMs: number;
};

// Lower runs first in BullMQ: the most severe findings are analysed first.
function priorityForSeverityRank(rank: number): number {
  return rank + 1;
}

export type AnalysisQueue = {
  preparedScan: (scanId: number) => Promise<void>;
  /** Queues the scan's enrichment (its own queue); idempotent per scan while the job waits or runs. */
  enrichScan: (scanId: number) => Promise<void>;
  analyzePrompts: (prompts: { promptHash: string; severityRank: number }[]) => Promise<void>;
  /** Of these prompts, the ones with no job waiting, delayed or running (lost with Redis, say). */
  withoutLiveJob: (promptHashes: string[]) => Promise<string[]>;
  ping: () => Promise<void>;
  close: () => Promise<void>;
  queue: Queue;
  enrichmentQueue: Queue;
};

// A job in one of these states will still run, or is running: its prompt needs no new job.
const LIVE_STATES = new Set(["active", "waiting", "waiting-children", "delayed", "prioritized"]);

const ADD_BULK_CHUNK = 500;
// Producers never wait long for Redis: the caller (often an HTTP request) carries on without it.
const PRODUCER_TIMEOUT_MS = 3_000;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Redis did not answer within ${PRODUCER_TIMEOUT_MS} ms (${what})`)),
      PRODUCER_TIMEOUT_MS,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The producer side, for the API and the worker. Without Redis a call fails at once rather than
 * waiting in an offline buffer: PostgreSQL already says what is pending, and the reconciler
 * enqueues it when Redis is back.
 */
export function createAnalysisQueue(settings: QueueSettings): AnalysisQueue {
  const connection = new Redis(settings.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  // Reconnection is automatic; without a listener ioredis would print every failed attempt.
  connection.on("error", () => {});
  // Both queues share the connection and the retry policy; errors surface through the calls.
  const open = (name: string) => {
    const q = new Queue(name, {
      connection,
      prefix: settings.prefix,
      defaultJobOptions: {
        attempts: settings.maxAttempts,
        backoff: { type: "exponential", delay: settings.retryDelayMs },
        removeOnComplete: { count: 1_000 },
        removeOnFail: { count: 5_000 },
      },
    });
    q.on("error", () => {});
    return q;
  };
  const queue = open(ANALYSIS_QUEUE);
  const enrichment = open(ENRICHMENT_QUEUE);
  // While Redis is known to be away, fail at once instead of making an upload wait for the timeout.
  const available = (what: string) => {
    if (
      connection.status === "reconnecting" ||
      connection.status === "end" ||
      connection.status === "close"
    ) {
      throw new Error(`Redis is not connected (${what})`);
    }
  };

  return {
    queue,
    enrichmentQueue: enrichment,
    preparedScan: async (scanId) => {
      available("enqueue prepare-scan");
      await withTimeout(
        queue.add("prepare-scan", { scanId } satisfies JobCatalog["prepare-scan"], {
          deduplication: { id: `scan-${scanId}` },
          priority: 1,
        }),
        "enqueue prepare-scan",
      );
    },
    enrichScan: async (scanId) => {
      available("enqueue enrich-scan");
      await withTimeout(
        enrichment.add("enrich-scan", { scanId } satisfies EnrichmentJobCatalog["enrich-scan"], {
          deduplication: { id: `enrich-${scanId}` },
        }),
        "enqueue enrich-scan",
      );
    },
    analyzePrompts: async (prompts) => {
      if (prompts.length > 0) available("enqueue analyze-prompt");
      for (let start = 0; start < prompts.length; start += ADD_BULK_CHUNK) {
        await withTimeout(
          queue.addBulk(
            prompts.slice(start, start + ADD_BULK_CHUNK).map((p) => ({
              name: "analyze-prompt",
              data: {
                promptHash: p.promptHash,
              } satisfies JobCatalog["analyze-prompt"],
              // One job per distinct prompt while it is waiting or running, however many findings ask it.
              opts: {
                deduplication: { id: p.promptHash },
                priority: priorityForSeverityRank(p.severityRank),
              },
            })),
          ),
          "enqueue analyze-prompt",
        );
      }
    },
    withoutLiveJob: async (promptHashes) => {
      available("look up analyze-prompt jobs");
      const live = await withTimeout(
        Promise.all(
          promptHashes.map(async (promptHash) => {
            // The deduplication key names the prompt's one job while it waits or runs.
            const jobId = await queue.getDeduplicationJobId(promptHash);
            const job = jobId ? await queue.getJob(jobId) : undefined;
            return job ? LIVE_STATES.has(await job.getState()) : false;
          }),
        ),
        "look up analyze-prompt jobs",
      );
      return promptHashes.filter((_, i) => !live[i]);
    },
    ping: async () => {
      await withTimeout(connection.ping(), "ping");
    },
    close: async () => {
      await Promise.all([queue.close(), enrichment.close()]);
      connection.disconnect();
    },
  };
}
