import { and, eq, isNotNull, lt, min, or, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { containerFindings as f } from "../schema/index.js";
import { needsPromptHash } from "./analysis-conditions.js";

// Where each finding's analysis stands, and which prompts are still to be asked.

const analysisState = {
  id: f.id,
  scanId: f.scanId,
  status: f.llmAnalysisStatus,
  promptHash: f.llmPromptHash,
  promptConfig: f.llmPromptConfig,
  analysisPromptHash: f.llmAnalysisPromptHash,
  summary: f.llmAnalysisSummary,
  recommendations: f.llmAnalysisRecommendations,
  riskScore: f.llmAnalysisRiskScore,
  analyzedAt: f.llmAnalysisTimestamp,
  error: f.llmAnalysisError,
  model: f.llmAnalysisModel,
  riskDetail: f.riskDetail,
};

function analysisStateQuery(db: Executor) {
  return db
    .select(analysisState)
    .from(f)
    .where(eq(f.id, sql.placeholder("id")));
}

export type AnalysisState = Awaited<ReturnType<typeof analysisStateQuery>>[number];

// The analyze endpoint's hot path: a named statement, prepared once per connection, reading the
// finding's own small columns by primary key with no join and no rebuilt prompt.
const preparedStates = new WeakMap<Executor, ReturnType<ReturnType<typeof analysisStateQuery>["prepare"]>>();

/** Everything the analyze endpoint answers with, by primary key, without the finding's bulky data. */
export async function getAnalysisState(db: Executor, findingId: number): Promise<AnalysisState | undefined> {
  let prepared = preparedStates.get(db);
  if (!prepared) {
    prepared = analysisStateQuery(db).prepare("vulntriage_analysis_state");
    preparedStates.set(db, prepared);
  }
  const [row] = await prepared.execute({ id: findingId });
  return row;
}

export async function markFindingPending(
  db: Executor,
  findingId: number,
  promptHash: string,
  promptConfig: string,
): Promise<void> {
  await db
    .update(f)
    .set({
      llmAnalysisStatus: "pending",
      llmPromptHash: promptHash,
      llmPromptConfig: promptConfig,
      llmAnalysisError: null,
      llmAnalysisStartedAt: null,
    })
    .where(eq(f.id, findingId));
}

/** Pending without a prompt: the scan's prepare job gives it one (findScansToPrepare finds it). */
export async function markFindingUnprepared(db: Executor, findingId: number): Promise<void> {
  await db
    .update(f)
    .set({
      llmAnalysisStatus: "pending",
      llmPromptHash: null,
      llmPromptConfig: null,
      llmAnalysisError: null,
      llmAnalysisStartedAt: null,
    })
    .where(eq(f.id, findingId));
}

/** Scans with pending findings that still need their prompts computed. */
export async function findScansToPrepare(db: Executor, promptConfig: string): Promise<number[]> {
  const rows = await db
    .selectDistinct({ scanId: f.scanId })
    .from(f)
    .where(and(eq(f.llmAnalysisStatus, "pending"), needsPromptHash(promptConfig)));
  return rows.map((r) => r.scanId);
}

export type OpenPrompt = { promptHash: string; severityRank: number };

/** Distinct prompts computed under `promptConfig` among the findings `where` selects, most severe rank each. */
async function distinctPrompts(
  db: Executor,
  promptConfig: string,
  where: SQL | undefined,
): Promise<OpenPrompt[]> {
  const rows = await db
    .select({ promptHash: f.llmPromptHash, severityRank: min(f.severityRank) })
    .from(f)
    .where(and(isNotNull(f.llmPromptHash), eq(f.llmPromptConfig, promptConfig), where))
    .groupBy(f.llmPromptHash);
  return rows.map((r) => ({ promptHash: r.promptHash as string, severityRank: r.severityRank as number }));
}

/** The distinct pending prompts of one scan, with the most severe finding's rank for each. */
export async function findPendingPromptsOfScan(
  db: Executor,
  scanId: number,
  promptConfig: string,
): Promise<OpenPrompt[]> {
  return distinctPrompts(db, promptConfig, and(eq(f.scanId, scanId), eq(f.llmAnalysisStatus, "pending")));
}

/** Prompts someone waits for: pending ones, and processing ones whose worker went silent. */
export async function findOpenPrompts(
  db: Executor,
  promptConfig: string,
  staleBefore: Date,
): Promise<OpenPrompt[]> {
  return distinctPrompts(
    db,
    promptConfig,
    or(
      eq(f.llmAnalysisStatus, "pending"),
      and(eq(f.llmAnalysisStatus, "processing"), lt(f.llmAnalysisStartedAt, staleBefore)),
    ),
  );
}

/** Every prompt with a finding in processing, however recent: the reconciler asks Redis about each. */
export async function findProcessingPrompts(db: Executor, promptConfig: string): Promise<OpenPrompt[]> {
  return distinctPrompts(db, promptConfig, eq(f.llmAnalysisStatus, "processing"));
}
