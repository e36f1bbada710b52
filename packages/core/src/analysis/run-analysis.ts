import {
  claimPrompt,
  completeFromCache,
  failFromCache,
  movePromptHash,
  storeCompletedAnalysis,
  storeFailedAnalysis,
} from "@vulntriage/db";
import { type ServiceContext, withTransaction } from "../context.js";
import { questionInput } from "./advisory-question.js";
import type { Analyzer, LlmAnswer } from "./ollama-analyzer.js";
import { LlmError } from "./ollama-analyzer.js";
import { AnalysisParseError, type ParsedAnalysis, parseAnalysis } from "./parse-analysis.js";
import { buildPrompt, type ChatMessage, PROMPT_TEMPLATE_VERSION, repairMessages } from "./prompt.js";

export type AnalyzePromptOutcome =
  | "cached"
  | "failed-before"
  | "nothing-waiting"
  | "completed"
  | "repaired"
  | "failed";

/** Thrown when the attempt failed but a later one may succeed; the queue retries it. */
class RetryLaterError extends Error {
  override name = "RetryLaterError";
}

/**
 * Thrown when no Ollama server could be reached: an outage, not a verdict. The worker puts the job
 * back without spending an attempt; the findings stay waiting.
 */
export class PausedAnalysisError extends Error {
  override name = "PausedAnalysisError";
}

/** Thrown when retrying cannot help; the findings are already marked failed. */
export class PermanentAnalysisError extends Error {
  override name = "PermanentAnalysisError";
}

/**
 * One distinct prompt: asks the LLM and copies the parsed answer to every finding waiting for it.
 * An answer that cannot be parsed, or was cut off at the token limit, gets exactly one repair turn
 * in the same conversation; only if that answer fails too are the findings failed (both raw
 * answers kept). The answer is stored under the original question's hash either way. A permanent
 * LLM error fails them at once; a passing error is retried, and fails them only on the last attempt;
 * an unreachable or overloaded Ollama fails nothing (PausedAnalysisError).
 */
export async function analyzePrompt(args: {
  ctx: ServiceContext;
  analyzer: Analyzer;
  input: { promptHash: string; lastAttempt: boolean; signal?: AbortSignal };
}): Promise<AnalyzePromptOutcome> {
  const { ctx, analyzer, input } = args;
  const { db } = ctx;
  const settings = ctx.analysis.prompt;
  if ((await completeFromCache(db, [input.promptHash])).size > 0) {
    // Answered since the job was queued (another job, a scan prepared later): nothing to ask.
    ctx.metrics?.cacheHits("job", 1);
    return "cached";
  }
  // A question whose answer failed is never asked again on its own: only a refresh or the bulk
  // retry (which forget the failure first) ask it again.
  if ((await failFromCache(db, [input.promptHash])).size > 0) return "failed-before";

  const question = await claimPrompt(db, input.promptHash);
  if (question.length === 0) return "nothing-waiting";
  const { messages, promptHash: rebuilt } = buildPrompt(questionInput(question), settings);
  // Settings or the template changed since the hash was stored: answer the prompt as it is now.
  let promptHash = input.promptHash;
  if (rebuilt !== promptHash) {
    await movePromptHash(db, promptHash, rebuilt, ctx.analysis.configKey);
    promptHash = rebuilt;
  }
  const meta = { promptHash, templateVersion: PROMPT_TEMPLATE_VERSION, model: settings.model };

  // Unreachable, overloaded or slow: retried later; permanent, or on the last attempt: failed.
  const ask = async (conversation: ChatMessage[], firstAnswer?: LlmAnswer): Promise<LlmAnswer> => {
    try {
      return await analyzer.chat(conversation, settings, input.signal);
    } catch (error) {
      const llmError =
        error instanceof LlmError ? error : new LlmError("retry", (error as Error).message ?? String(error));
      // Cut by a worker shutdown, not by the model: never a failure, whatever attempt this was.
      if (input.signal?.aborted) throw new RetryLaterError(llmError.message);
      if (llmError.kind === "unavailable") throw new PausedAnalysisError(llmError.message);
      if (llmError.kind === "retry" && !input.lastAttempt) throw new RetryLaterError(llmError.message);
      const message = firstAnswer
        ? `asking for a repaired answer failed: ${llmError.message}`
        : llmError.message;
      await withTransaction(ctx, (tx) =>
        storeFailedAnalysis(tx, {
          ...meta,
          error: message,
          ...(firstAnswer && {
            rawOutput: firstAnswer.content,
            doneReason: firstAnswer.doneReason,
            repairs: 1,
          }),
        }),
      );
      ctx.log.warn({ promptHash, error: message }, "analysis failed");
      throw new PermanentAnalysisError(message);
    }
  };

  // The analyzer counts the requests that failed; an answer is counted here, once judged.
  const count = (outcome: "success" | "repaired" | "invalid", answer: LlmAnswer) =>
    ctx.metrics?.llmRequest(outcome, answer.durationMs === null ? null : answer.durationMs / 1000);
  const first = await ask(messages);
  const firstVerdict = judge(first, settings.options.num_predict);
  count("parsed" in firstVerdict ? "success" : "invalid", first);
  if ("parsed" in firstVerdict) {
    await storeCompletedAnalysis(db, { ...meta, ...completed(firstVerdict.parsed, first), repairs: 0 });
    return "completed";
  }
  // One more turn of the same conversation almost always rescues an answer in the wrong shape.
  const second = await ask(repairMessages(messages, first.content, first.doneReason === "length"), first);
  const secondVerdict = judge(second, settings.options.num_predict);
  count("parsed" in secondVerdict ? "repaired" : "invalid", second);
  if ("parsed" in secondVerdict) {
    await storeCompletedAnalysis(db, {
      ...meta,
      ...completed(secondVerdict.parsed, second),
      promptTokens: sum(first.promptTokens, second.promptTokens),
      outputTokens: sum(first.outputTokens, second.outputTokens),
      durationMs: sum(first.durationMs, second.durationMs),
      repairs: 1,
      firstRawOutput: first.content,
    });
    return "repaired";
  }
  await withTransaction(ctx, (tx) =>
    storeFailedAnalysis(tx, {
      ...meta,
      error: `the model's answer could not be used: ${firstVerdict.problem}; nor its answer to one repair request: ${secondVerdict.problem}`,
      rawOutput: second.content,
      firstRawOutput: first.content,
      doneReason: second.doneReason,
      repairs: 1,
    }),
  );
  return "failed";
}

/** A usable answer, or why it is not: cut off at the token limit, or not in the asked-for shape. */
function judge(answer: LlmAnswer, maxTokens: number): { parsed: ParsedAnalysis } | { problem: string } {
  if (answer.doneReason === "length") {
    return { problem: `the answer was cut off at ${maxTokens} tokens (done_reason "length")` };
  }
  try {
    return { parsed: parseAnalysis(answer.content) };
  } catch (error) {
    if (error instanceof AnalysisParseError) return { problem: error.message };
    throw error;
  }
}

function completed(parsed: ParsedAnalysis, answer: LlmAnswer) {
  return {
    summary: parsed.summary,
    recommendations: parsed.recommendations,
    riskScore: parsed.riskScore,
    rawOutput: answer.content,
    doneReason: answer.doneReason,
    promptTokens: answer.promptTokens,
    outputTokens: answer.outputTokens,
    durationMs: answer.durationMs,
  };
}

function sum(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}
