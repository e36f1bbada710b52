import {
  type AnalysisState,
  completeFromCache,
  failFromCache,
  forgetAnalysis,
  getAnalysisState,
  loadQuestionSources,
  markFindingPending,
} from "@vulntriage/db";
import { type ServiceContext, withTransaction } from "../context.js";
import { NotFoundError } from "../errors.js";
import { verb } from "../verb.js";
import { questionInput } from "./advisory-question.js";
import type { AnalysisAnswer } from "./analysis-answer.js";
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
  const { db } = ctx;
  const state = await getAnalysisState(db, input.findingId);
  if (!state) throw new NotFoundError(`no finding with id ${input.findingId}`);
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
  if (input.refresh && state.status === "processing" && current) {
    return { finding_id: state.id, status: "processing" };
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
  if (answered?.status === "completed") return completed(answered, true);
  if (answered?.status === "failed") return failed(answered, promptHash);
  // After the commit: the job must find the finding pending.
  await enqueue(ctx, promptHash);
  return { finding_id: state.id, status: "pending" };
});

function failed(state: AnalysisState, promptHash: string): AnalysisAnswer {
  return {
    finding_id: state.id,
    status: "failed",
    error: state.error ?? "unknown error",
    prompt_hash: promptHash,
  };
}

function completed(state: AnalysisState, cached: boolean): AnalysisAnswer {
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

async function enqueue(ctx: ServiceContext, promptHash: string): Promise<void> {
  if (!ctx.queue) return;
  try {
    await ctx.queue.analyzePrompts([{ promptHash, severityRank: 0 }]);
  } catch (error) {
    // The finding is pending in PostgreSQL; the worker's reconciler enqueues it once Redis is back.
    ctx.log.warn({ promptHash, err: (error as Error).message }, "could not enqueue analysis; left pending");
  }
}
