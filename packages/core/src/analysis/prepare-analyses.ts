import {
  completeFromCache,
  failFromCache,
  findOpenPrompts,
  findPendingPromptsOfScan,
  findProcessingPrompts,
  findScanById,
  findScansToPrepare,
  findScansWithStaleIds,
  findUnenrichedScans,
  listScanPromptSources,
  setPromptHashes,
} from "@vulntriage/db";
import { type ServiceContext, withTransaction } from "../context.js";
import { hashQuestions } from "./advisory-question.js";

// Scans re-queued for enrichment per reconcile pass: a backlog drains over a few passes.
const RECONCILE_ENRICH_BATCH = 500;
const RECONCILE_REFRESH_BATCH = 50;

/**
 * Preparing waits for the scan's enrichment so that the prompts can say what is known of
 * exploitation; thrown until then (for at most ENRICHMENT_WAIT_MS after the upload). The worker
 * puts the job back until `retryAt`, without spending an attempt.
 */
export class WaitForEnrichmentError extends Error {
  override name = "WaitForEnrichmentError";
  constructor(readonly retryAt: number) {
    super("waiting for the scan's KEV and EPSS answers");
  }
}

// How often a waiting prepare job looks again.
const ENRICHMENT_POLL_MS = 1_000;

/**
 * When the scan's prompts must still wait for its KEV and EPSS answers, the time to look again;
 * null once they are in, once ENRICHMENT_WAIT_MS has passed since the upload, or when not waiting.
 */
export async function enrichmentAwaited(ctx: ServiceContext, scanId: number): Promise<number | null> {
  if (ctx.analysis.enrichmentWaitMs <= 0) return null;
  const scan = await findScanById(ctx.db, scanId);
  if (!scan || scan.enrichedAt !== null) return null;
  const deadline = scan.ingestedAt.getTime() + ctx.analysis.enrichmentWaitMs;
  return Date.now() < deadline ? Math.min(deadline, Date.now() + ENRICHMENT_POLL_MS) : null;
}

export type PreparedScan = { findings: number; prompts: number; answeredFromCache: number; enqueued: number };

/**
 * For a freshly ingested scan: groups its findings into advisory questions, gives each pending
 * finding its question's prompt hash, completes at once the findings whose prompt the cache already
 * answered, and enqueues one job per remaining distinct prompt, most severe first.
 */
export async function prepareScanAnalyses(args: {
  ctx: ServiceContext;
  input: { scanId: number };
}): Promise<PreparedScan> {
  const { ctx } = args;
  const { db } = ctx;
  const { scanId } = args.input;
  const retryAt = await enrichmentAwaited(ctx, scanId);
  if (retryAt !== null) throw new WaitForEnrichmentError(retryAt);
  const all = await listScanPromptSources(db, scanId, ctx.analysis.configKey);
  const { ids, hashes, distinct } = hashQuestions(all, ctx.analysis.prompt);
  let answeredFromCache = 0;
  if (ids.length > 0) {
    // Committed before any job exists: a job must find the hashes it was queued for.
    answeredFromCache = await withTransaction(ctx, async (tx) => {
      await setPromptHashes(tx, ids, hashes, ctx.analysis.configKey);
      const answered = await completeFromCache(tx, [...distinct]);
      // A question that failed before is not asked again on its own (the bulk retry re-asks it).
      await failFromCache(
        tx,
        [...distinct].filter((h) => !answered.has(h)),
      );
      return answered.size;
    });
    ctx.metrics?.cacheHits("prepare", answeredFromCache);
  }
  // Everything of this scan still pending, including prompts an earlier, interrupted run of this
  // job prepared but could not enqueue: enqueueing is idempotent per prompt.
  const toAsk = await findPendingPromptsOfScan(db, scanId, ctx.analysis.configKey);
  if (toAsk.length > 0) {
    if (!ctx.queue) throw new Error("prepareScanAnalyses needs a queue to enqueue analyses");
    await ctx.queue.analyzePrompts(toAsk);
  }
  return {
    findings: ids.length,
    prompts: toAsk.length + answeredFromCache,
    answeredFromCache,
    enqueued: toAsk.length,
  };
}

/**
 * PostgreSQL is the truth and Redis only carries work: re-enqueues whatever findings wait for,
 * whether its job was lost (Redis flushed, restarted or down at ingest) or its worker died mid-job.
 * A prompt in processing is re-queued as soon as Redis holds no live job for it, not only once it
 * outlived `processingStaleMs`. Enqueueing is idempotent, so running this while jobs are healthy
 * changes nothing.
 */
export async function reconcileAnalyses(args: {
  ctx: ServiceContext;
  input: { processingStaleMs: number };
}): Promise<{ scans: number; prompts: number }> {
  const { ctx } = args;
  const queue = ctx.queue;
  if (!queue) throw new Error("reconcileAnalyses needs a queue");
  const { db } = ctx;
  // Enrichment jobs lost the same way: deduplicated while one waits or runs.
  for (const scanId of await findUnenrichedScans(db, RECONCILE_ENRICH_BATCH)) await queue.enrichScan(scanId);
  // Answers past their freshness (EPSS daily, KEV per refresh period, NVD and OSV weekly, errors
  // after their back-off) are asked again through a scan that holds them.
  for (const scanId of await findScansWithStaleIds(db, RECONCILE_REFRESH_BATCH))
    await queue.enrichScan(scanId);
  const scans = await findScansToPrepare(db, ctx.analysis.configKey);
  for (const scanId of scans) await queue.preparedScan(scanId);
  const staleBefore = new Date(Date.now() - args.input.processingStaleMs);
  const open = await findOpenPrompts(db, ctx.analysis.configKey, staleBefore);
  const queued = new Set(open.map((p) => p.promptHash));
  const processing = (await findProcessingPrompts(db, ctx.analysis.configKey)).filter(
    (p) => !queued.has(p.promptHash),
  );
  const orphaned = new Set(await queue.withoutLiveJob(processing.map((p) => p.promptHash)));
  const prompts = [...open, ...processing.filter((p) => orphaned.has(p.promptHash))];
  await queue.analyzePrompts(prompts);
  return { scans: scans.length, prompts: prompts.length };
}
