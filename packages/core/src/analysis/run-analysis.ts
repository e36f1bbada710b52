import {
  claimPrompt,
  completeFromCache,
  movePromptHash,
  storeCompletedAnalysis,
  storeFailedAnalysis,
} from "@vulntriage/db";
import { type ServiceContext, withTransaction } from "../context.js";
import type { Analyzer } from "./ollama-analyzer.js";
import { LlmError } from "./ollama-analyzer.js";
import { AnalysisParseError, parseAnalysis } from "./parse-analysis.js";
import { promptInputFrom } from "./prepare-analyses.js";
import { buildPrompt, PROMPT_TEMPLATE_VERSION } from "./prompt.js";

export type AnalyzePromptOutcome = "cached" | "nothing-waiting" | "completed" | "failed";

/** Thrown when the attempt failed but a later one may succeed; the queue retries it. */
class RetryLaterError extends Error {
  override name = "RetryLaterError";
}

/** Thrown when retrying cannot help; the findings are already marked failed. */
export class PermanentAnalysisError extends Error {
  override name = "PermanentAnalysisError";
}

/**
 * One distinct prompt: asks the LLM once and copies the parsed answer to every finding waiting
 * for it. A parse failure or a permanent LLM error fails those findings with the reason (the raw
 * answer is kept); a passing error is retried, and fails them only on the last attempt.
 */
export async function analyzePrompt(args: {
  ctx: ServiceContext;
  analyzer: Analyzer;
  input: { promptHash: string; lastAttempt: boolean; signal?: AbortSignal };
}): Promise<AnalyzePromptOutcome> {
  const { ctx, analyzer, input } = args;
  const { db } = ctx;
  const settings = ctx.analysis.prompt;
  if ((await completeFromCache(db, [input.promptHash])).size > 0) return "cached";

  const source = await claimPrompt(db, input.promptHash);
  if (!source) return "nothing-waiting";
  const { messages, promptHash: rebuilt } = buildPrompt(promptInputFrom(source), settings);
  // Settings or the template changed since the hash was stored: answer the prompt as it is now.
  let promptHash = input.promptHash;
  if (rebuilt !== promptHash) {
    await movePromptHash(db, promptHash, rebuilt, ctx.analysis.configKey);
    promptHash = rebuilt;
  }
  const meta = { promptHash, templateVersion: PROMPT_TEMPLATE_VERSION, model: settings.model };

  let answer: Awaited<ReturnType<Analyzer["chat"]>>;
  try {
    answer = await analyzer.chat(messages, settings, input.signal);
  } catch (error) {
    const llmError =
      error instanceof LlmError ? error : new LlmError("retry", (error as Error).message ?? String(error));
    // Cut by a worker shutdown, not by the model: never a failure, whatever attempt this was.
    if (input.signal?.aborted) throw new RetryLaterError(llmError.message);
    if (llmError.kind === "retry" && !input.lastAttempt) throw new RetryLaterError(llmError.message);
    await withTransaction(ctx, (tx) => storeFailedAnalysis(tx, { ...meta, error: llmError.message }));
    ctx.log.warn({ promptHash, error: llmError.message }, "analysis failed");
    throw new PermanentAnalysisError(llmError.message);
  }

  try {
    const parsed = parseAnalysis(answer.content);
    await storeCompletedAnalysis(db, {
      ...meta,
      summary: parsed.summary,
      recommendations: parsed.recommendations,
      riskScore: parsed.riskScore,
      rawOutput: answer.content,
      doneReason: answer.doneReason,
      promptTokens: answer.promptTokens,
      outputTokens: answer.outputTokens,
      durationMs: answer.durationMs,
    });
    return "completed";
  } catch (error) {
    if (!(error instanceof AnalysisParseError)) throw error;
    await withTransaction(ctx, (tx) =>
      storeFailedAnalysis(tx, {
        ...meta,
        error: `the model's answer could not be used: ${error.message}`,
        rawOutput: answer.content,
        doneReason: answer.doneReason,
      }),
    );
    return "failed";
  }
}
