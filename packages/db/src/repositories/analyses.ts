import { type AnyColumn, and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Executor } from "../client.js";
import { llmAnalyses as a, containerFindings as f, containerScans as s } from "../schema/index.js";
import { needsPromptHash, WAITING } from "./analysis-conditions.js";

// Analysis state lives on the findings (status, prompt hash) and in llm_analyses (one row per
// distinct prompt). These statements move it along set-wise: one statement per step, never a
// statement per finding.

const promptSource = {
  id: f.id,
  severityRank: f.severityRank,
  vulnerabilityId: f.vulnerabilityId,
  title: f.title,
  description: sql<string | null>`${f.cveData}->>'Description'`,
  severity: f.severity,
  cvss: f.cvss,
  cweIds: f.cweIds,
  pkgName: f.pkgName,
  installedVersion: f.installedVersion,
  fixedVersion: f.fixedVersion,
  status: f.status,
  packageType: sql<string | null>`coalesce(${f.type}, ${f.class})`,
  osFamily: s.osFamily,
  osName: s.osName,
};

function selectPromptSource(db: Executor) {
  return db.select(promptSource).from(f).innerJoin(s, eq(s.id, f.scanId));
}

/** What a finding's prompt is built from: the finding, its package and its scan's OS. */
export type PromptSourceRow = Awaited<ReturnType<typeof selectPromptSource>>[number];

/** A text[] parameter: one bound array however many values, not one placeholder each. */
function textArray(values: string[]): SQL {
  return sql`${sql.param(values)}::text[]`;
}

/**
 * Every finding of a scan with what its prompt is built from, and whether it is pending with its
 * prompt hash missing or computed under other settings. All of them, not only those: a question's
 * package set is every finding of the scan that shares its advisory.
 */
export async function listScanPromptSources(
  db: Executor,
  scanId: number,
  promptConfig: string,
): Promise<(PromptSourceRow & { unprepared: boolean })[]> {
  return db
    .select({
      ...promptSource,
      unprepared: sql<boolean>`coalesce(${and(eq(f.llmAnalysisStatus, "pending"), needsPromptHash(promptConfig))}, false)`,
    })
    .from(f)
    .innerJoin(s, eq(s.id, f.scanId))
    .where(eq(f.scanId, scanId));
}

const sameAdvisory = alias(f, "same_advisory");

/**
 * One finding's question: the findings of its scan that share its vulnerability id, installed and
 * fixed version and package type (the scan fixes the OS). Empty when there is no such finding.
 */
export async function loadQuestionSources(db: Executor, findingId: number): Promise<PromptSourceRow[]> {
  const same = (column: keyof typeof f.$inferSelect) =>
    sql`${f[column]} is not distinct from ${sameAdvisory[column]}`;
  return selectPromptSource(db)
    .innerJoin(
      sameAdvisory,
      and(
        eq(sameAdvisory.id, findingId),
        eq(sameAdvisory.scanId, f.scanId),
        same("vulnerabilityId"),
        same("installedVersion"),
        same("fixedVersion"),
        sql`coalesce(${f.type}, ${f.class}) is not distinct from coalesce(${sameAdvisory.type}, ${sameAdvisory.class})`,
      ),
    )
    .orderBy(f.id);
}

export async function setPromptHashes(
  db: Executor,
  ids: number[],
  hashes: string[],
  promptConfig: string,
): Promise<void> {
  // Raw: drizzle's update cannot take its values from unnest(), and one statement per finding is
  // what this avoids.
  await db.execute(sql`
    update ${f} set llm_prompt_hash = u.hash, llm_prompt_config = ${promptConfig}
    from unnest(${sql.param(ids)}::bigint[], ${textArray(hashes)}) as u(id, hash)
    where ${f.id} = u.id`);
}

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

/**
 * Marks the waiting findings of one prompt as being processed and returns what the prompt is built
 * from, in one statement: the findings with that prompt in the scan of the first one claimed (every
 * scan asking a prompt has the same package set for it).
 */
export async function claimPrompt(db: Executor, promptHash: string): Promise<PromptSourceRow[]> {
  const claimed = db.$with("claimed").as(
    db
      .update(f)
      .set({ llmAnalysisStatus: "processing", llmAnalysisStartedAt: sql`now()` })
      .where(and(eq(f.llmPromptHash, promptHash), inArray(f.llmAnalysisStatus, WAITING)))
      .returning({ id: f.id, scanId: f.scanId }),
  );
  return db
    .with(claimed)
    .select(promptSource)
    .from(f)
    .innerJoin(s, eq(s.id, f.scanId))
    .where(
      and(
        eq(f.llmPromptHash, promptHash),
        eq(f.scanId, db.select({ scanId: claimed.scanId }).from(claimed).orderBy(claimed.id).limit(1)),
      ),
    )
    .orderBy(f.id);
}

/** A refresh: the stored answer to this prompt is no longer to be served, so whichever job runs next asks again. */
export async function forgetAnalysis(db: Executor, promptHash: string): Promise<void> {
  await db.delete(a).where(eq(a.promptHash, promptHash));
}

/** Re-labels findings whose stored hash no longer matches the prompt their data builds now. */
export async function movePromptHash(
  db: Executor,
  from: string,
  to: string,
  promptConfig: string,
): Promise<void> {
  await db
    .update(f)
    .set({ llmPromptHash: to, llmPromptConfig: promptConfig })
    .where(and(eq(f.llmPromptHash, from), inArray(f.llmAnalysisStatus, WAITING)));
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
