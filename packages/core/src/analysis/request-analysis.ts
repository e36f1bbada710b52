import {
  type AnalysisState,
  completeFromCache,
  failFromCache,
  findRiskSource,
  forgetAnalysis,
  getAnalysisState,
  loadQuestionSources,
  markFindingPending,
  markFindingUnprepared,
} from "@vulntriage/db";
import { type ServiceContext, withTransaction } from "../context.js";
import { NotFoundError } from "../errors.js";
import { computedRiskOf, type RiskDto, withLlmScore } from "../risk/risk-dto.js";
import { verb } from "../verb.js";
import { questionInput } from "./advisory-question.js";
import type { AnalysisAnswer } from "./analysis-answer.js";
import { enrichmentAwaited } from "./prepare-analyses.js";
import { buildPrompt } from "./prompt.js";

/**
 * The analyze endpoint: answers a fresh stored analysis from one primary-key read; otherwise makes
 * sure the finding's prompt is queued and says it is pending. A failed analysis, or a finding whose
 * question failed for another finding, stays failed until `refresh` (or the bulk retry) asks again.
 */
export const requestAnalysis = verb(async function requestAnalysis(args: {
  ctx: ServiceContext;
  input: { findingId: number; refresh: boolean };
}): Promise<AnalysisAnswer> {
  const { ctx, input } = args;
  const state = await getAnalysisState(ctx.db, input.findingId);
  if (!state) throw new NotFoundError(`no finding with id ${input.findingId}`);
  const answer = await answerAnalysis(ctx, input, state);
  // The model's score: a completed answer's own (it may have just been copied from the cache).
  const llm = answer.status === "completed" ? answer.risk_score : state.riskScore;
  return { ...answer, risk: await riskNow(ctx, state, llm) } as AnalysisAnswer;
});

const REFRESH_COOLDOWN_MS = 60_000;

type Unexplained = DistributiveOmit<AnalysisAnswer, "risk">;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The finding's explained risk: the one stored at its last enrichment (read with the state), or —
 * before its first enrichment has run — computed from the finding and what the fleet knows.
 */
async function riskNow(ctx: ServiceContext, state: AnalysisState, llm: number | null): Promise<RiskDto> {
  if (state.riskDetail) return withLlmScore(state.riskDetail, llm);
  const row = await findRiskSource(ctx.db, state.id);
  if (!row) throw new NotFoundError(`no finding with id ${state.id}`);
  return withLlmScore(computedRiskOf(row), llm);
}

async function answerAnalysis(
  ctx: ServiceContext,
  input: { findingId: number; refresh: boolean },
  state: AnalysisState,
): Promise<Unexplained> {
  const { db } = ctx;
  const current = state.promptHash !== null && state.promptConfig === ctx.analysis.configKey;

  if (!input.refresh && current) {
    if (state.status === "completed" && state.analysisPromptHash === state.promptHash)
      return completed(state, true);
    if (state.status === "failed") return failed(state, state.promptHash as string);
    if (state.status === "pending" || state.status === "processing") {
      await enqueue(ctx, state.promptHash as string);
      return { finding_id: state.id, status: state.status };
    }
  }
  if (input.refresh && current) {
    // A refresh right after an answer, or while one is coming, asks nothing new: a burst of
    // refreshes costs one LLM call at most per question and minute.
    if (state.status === "processing") return { finding_id: state.id, status: "processing" };
    if (state.status === "pending") {
      await enqueue(ctx, state.promptHash as string);
      return { finding_id: state.id, status: "pending" };
    }
    const answeredAt = state.analyzedAt?.getTime() ?? 0;
    if (
      state.status === "completed" &&
      state.analysisPromptHash === state.promptHash &&
      Date.now() - answeredAt < REFRESH_COOLDOWN_MS
    )
      return completed(state, true);
  }

  // The scan's exploitation answers are still coming: its prepare job asks once they are in (or
  // its wait is over), so that this prompt says what is known rather than being asked twice.
  if (!input.refresh && (await enrichmentAwaited(ctx, state.scanId)) !== null) {
    await markFindingUnprepared(db, state.id);
    await enqueuePrepare(ctx, state.scanId);
    return { finding_id: state.id, status: "pending" };
  }

  // Never asked, asked under other settings, or asked again on purpose: build the prompt now.
  const question = await loadQuestionSources(db, input.findingId);
  if (question.length === 0) throw new NotFoundError(`no finding with id ${input.findingId}`);
  const { promptHash } = buildPrompt(questionInput(question), ctx.analysis.prompt);
  const answered = await withTransaction(ctx, async (tx) => {
    if (input.refresh) await forgetAnalysis(tx, promptHash);
    await markFindingPending(tx, input.findingId, promptHash, ctx.analysis.configKey);
    if (input.refresh) return undefined;
    const settled =
      (await completeFromCache(tx, [promptHash])).size > 0 ||
      (await failFromCache(tx, [promptHash])).size > 0;
    return settled ? getAnalysisState(tx, input.findingId) : undefined;
  });
  if (answered?.status === "completed") {
    // Counted after the commit: the question was answered from the cache, not asked.
    ctx.metrics?.cacheHits("analyze", 1);
    return completed(answered, true);
  }
  if (answered?.status === "failed") return failed(answered, promptHash);
  // After the commit: the job must find the finding pending.
  await enqueue(ctx, promptHash);
  return { finding_id: state.id, status: "pending" };
}

function failed(state: AnalysisState, promptHash: string): Unexplained {
  return {
    finding_id: state.id,
    status: "failed",
    error: state.error ?? "unknown error",
    prompt_hash: promptHash,
  };
}

function completed(state: AnalysisState, cached: boolean): Unexplained {
  return {
    finding_id: state.id,
    status: "completed",
    cached,
    summary: state.summary as string,
    recommendations: state.recommendations ?? [],
    risk_score: state.riskScore as number,
    analyzed_at: (state.analyzedAt as Date).toISOString(),
    model: state.model,
    prompt_hash: state.analysisPromptHash as string,
  };
}

async function enqueuePrepare(ctx: ServiceContext, scanId: number): Promise<void> {
  if (!ctx.queue) return;
  try {
    await ctx.queue.preparedScan(scanId);
  } catch (error) {
    // Pending without a prompt: the reconciler prepares the scan once Redis is back.
    ctx.log.warn({ scanId, err: (error as Error).message }, "could not enqueue preparation; left pending");
  }
}

async function enqueue(ctx: ServiceContext, promptHash: string): Promise<void> {
  if (!ctx.queue) return;
  try {
    await ctx.queue.analyzePrompts([{ promptHash, severityRank: 0 }]);
  } catch (error) {
    // The finding is pending in PostgreSQL; the worker's reconciler enqueues it once Redis is back.
    ctx.log.warn({ promptHash, err: (error as Error).message }, "could not enqueue analysis; left pending");
  }
}
