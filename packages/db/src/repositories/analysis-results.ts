import { type AnyColumn, and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { llmAnalyses as a, containerFindings as f } from "../schema/index.js";
import { WAITING } from "./analysis-conditions.js";
import { textArray } from "./sql-params.js";

// Answers and failures, stored once per prompt in llm_analyses and copied to every finding that
// asks it, each in one statement.

/** The finding columns that show an analysis, filled from one llm_analyses row (or CTE over it). */
function copyAnalysis(
  from: Record<"summary" | "recommendations" | "riskScore" | "createdAt" | "promptHash" | "model", AnyColumn>,
) {
  return {
    llmAnalysisSummary: sql`${from.summary}`,
    llmAnalysisRecommendations: sql`${from.recommendations}`,
    llmAnalysisRiskScore: sql`${from.riskScore}`,
    llmAnalysisTimestamp: sql`${from.createdAt}`,
    llmAnalysisPromptHash: sql`${from.promptHash}`,
    llmAnalysisModel: sql`${from.model}`,
    llmAnalysisError: null,
    llmAnalysisStatus: "completed" as const,
  };
}

/** What a waiting finding takes from a stored failure of its prompt. */
function copyFailure(from: Record<"error" | "createdAt" | "promptHash" | "model", AnyColumn>) {
  return {
    llmAnalysisStatus: "failed" as const,
    llmAnalysisError: sql`${from.error}`,
    llmAnalysisPromptHash: sql`${from.promptHash}`,
    llmAnalysisModel: sql`${from.model}`,
    llmAnalysisTimestamp: sql`${from.createdAt}`,
  };
}

/**
 * Settles every waiting finding whose prompt has a stored result of this status, in one statement;
 * returns the prompt hashes that had one.
 */
async function settleFromCache(
  db: Executor,
  hashes: string[],
  status: "completed" | "failed",
): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const stored = db.$with("stored").as(
    db
      .select({ promptHash: a.promptHash })
      .from(a)
      .where(and(sql`${a.promptHash} = any(${textArray(hashes)})`, eq(a.status, status))),
  );
  const updated = db.$with("updated").as(
    db
      .update(f)
      .set(status === "completed" ? copyAnalysis(a) : copyFailure(a))
      .from(a)
      .where(
        and(
          inArray(a.promptHash, db.select({ promptHash: stored.promptHash }).from(stored)),
          eq(f.llmPromptHash, a.promptHash),
          inArray(f.llmAnalysisStatus, WAITING),
        ),
      )
      .returning({ id: f.id }),
  );
  const rows = await db.with(stored, updated).select({ hash: stored.promptHash }).from(stored);
  return new Set(rows.map((r) => r.hash));
}

/** Completes every waiting finding whose prompt is already answered in the cache. */
export function completeFromCache(db: Executor, hashes: string[]): Promise<Set<string>> {
  return settleFromCache(db, hashes, "completed");
}

/**
 * Fails every waiting finding whose prompt already failed, with the stored reason, without asking
 * again: a failed question is asked again only on purpose (refresh, bulk retry).
 */
export function failFromCache(db: Executor, hashes: string[]): Promise<Set<string>> {
  return settleFromCache(db, hashes, "failed");
}

type CompletedAnalysis = {
  promptHash: string;
  templateVersion: string;
  model: string;
  summary: string;
  recommendations: string[];
  riskScore: number;
  rawOutput: string;
  doneReason: string | null;
  promptTokens: number | null;
  outputTokens: number | null;
  durationMs: number | null;
  /** 1 when this answer came from the repair turn; `firstRawOutput` is then the unusable first one. */
  repairs: number;
  firstRawOutput?: string | undefined;
};

/** The value an upsert proposed for `column` (PostgreSQL's `excluded` row). */
function excluded(column: { name: string }): SQL {
  return sql.raw(`excluded.${column.name}`);
}

/** Stores the answer once and copies it to every finding with that prompt, in one statement. */
export async function storeCompletedAnalysis(db: Executor, analysis: CompletedAnalysis): Promise<number> {
  const stored = db.$with("stored").as(
    db
      .insert(a)
      .values({
        ...analysis,
        firstRawOutput: analysis.firstRawOutput ?? null,
        status: "completed",
        error: null,
      })
      .onConflictDoUpdate({
        target: a.promptHash,
        set: {
          status: excluded(a.status),
          templateVersion: excluded(a.templateVersion),
          model: excluded(a.model),
          summary: excluded(a.summary),
          recommendations: excluded(a.recommendations),
          riskScore: excluded(a.riskScore),
          error: null,
          rawOutput: excluded(a.rawOutput),
          doneReason: excluded(a.doneReason),
          promptTokens: excluded(a.promptTokens),
          outputTokens: excluded(a.outputTokens),
          durationMs: excluded(a.durationMs),
          repairs: excluded(a.repairs),
          firstRawOutput: excluded(a.firstRawOutput),
          createdAt: sql`now()`,
        },
      })
      .returning(),
  );
  // One prompt, one result: every finding that asked it shows the latest answer.
  const result = await db
    .with(stored)
    .update(f)
    .set(copyAnalysis(stored))
    .from(stored)
    .where(eq(f.llmPromptHash, stored.promptHash));
  return result.rowCount ?? 0;
}

type FailedAnalysis = {
  promptHash: string;
  templateVersion: string;
  model: string;
  error: string;
  /** Present when the model answered but the answer was unusable: kept for inspection. */
  rawOutput?: string | undefined;
  doneReason?: string | null | undefined;
  repairs?: number | undefined;
  /** The first, unusable answer when the repair turn's answer (`rawOutput`) failed too. */
  firstRawOutput?: string | undefined;
};

/**
 * Records the failure once per prompt (so that no later scan asks it again on its own) and fails
 * every waiting finding with it. Two statements: run it in a transaction.
 */
export async function storeFailedAnalysis(db: Executor, failure: FailedAnalysis): Promise<number> {
  const row = {
    promptHash: failure.promptHash,
    status: "failed",
    templateVersion: failure.templateVersion,
    model: failure.model,
    error: failure.error,
    rawOutput: failure.rawOutput ?? null,
    doneReason: failure.doneReason ?? null,
    repairs: failure.repairs ?? 0,
    firstRawOutput: failure.firstRawOutput ?? null,
  };
  await db
    .insert(a)
    .values(row)
    .onConflictDoUpdate({
      target: a.promptHash,
      set: {
        status: "failed",
        error: excluded(a.error),
        rawOutput: excluded(a.rawOutput),
        doneReason: excluded(a.doneReason),
        repairs: excluded(a.repairs),
        firstRawOutput: excluded(a.firstRawOutput),
        createdAt: sql`now()`,
      },
      // A completed answer is never overwritten by a later failure of the same prompt.
      setWhere: eq(a.status, "failed"),
    });
  const result = await db
    .update(f)
    .set({
      llmAnalysisStatus: "failed",
      llmAnalysisError: failure.error,
      llmAnalysisPromptHash: failure.promptHash,
      llmAnalysisModel: failure.model,
      llmAnalysisTimestamp: sql`now()`,
    })
    .where(and(eq(f.llmPromptHash, failure.promptHash), inArray(f.llmAnalysisStatus, WAITING)));
  return result.rowCount ?? 0;
}
