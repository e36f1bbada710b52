import { and, eq, inArray, isNotNull, min, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { llmAnalyses as a, containerFindings as f } from "../schema/index.js";
import type { OpenPrompt } from "./analysis-state.js";
import { textArray } from "./sql-params.js";

export type RequeuedFailures = {
  /** Distinct questions asked again. */
  questions: number;
  /** Findings back to pending: every failed finding of those questions, in any scan. */
  findings: number;
  /** Questions computed under the current settings: enqueue them. */
  prompts: OpenPrompt[];
  /** Scans with re-queued findings whose prompt was computed under other settings: prepare them again. */
  scansToPrepare: number[];
};

/**
 * The bulk retry: forgets the stored failures of the failed questions (of one scan, or everywhere)
 * and puts every finding that failed on them back to pending. Several statements: run it in a
 * transaction.
 */
export async function requeueFailedQuestions(
  db: Executor,
  input: { scanId?: number | undefined; promptConfig: string },
): Promise<RequeuedFailures> {
  const failedOfScope = db
    .selectDistinct({ promptHash: f.llmPromptHash })
    .from(f)
    .where(
      and(
        eq(f.llmAnalysisStatus, "failed"),
        isNotNull(f.llmPromptHash),
        input.scanId === undefined ? undefined : eq(f.scanId, input.scanId),
      ),
    );
  const hashes = (await failedOfScope).map((r) => r.promptHash as string);
  if (hashes.length === 0) return { questions: 0, findings: 0, prompts: [], scansToPrepare: [] };

  const inQuestions = sql`${f.llmPromptHash} = any(${textArray(hashes)})`;
  await db.delete(a).where(and(sql`${a.promptHash} = any(${textArray(hashes)})`, eq(a.status, "failed")));
  const requeued = await db
    .update(f)
    .set({ llmAnalysisStatus: "pending", llmAnalysisError: null, llmAnalysisStartedAt: null })
    .where(and(eq(f.llmAnalysisStatus, "failed"), inQuestions))
    .returning({ scanId: f.scanId, promptHash: f.llmPromptHash, promptConfig: f.llmPromptConfig });

  const prompts = await db
    .select({ promptHash: f.llmPromptHash, severityRank: min(f.severityRank) })
    .from(f)
    .where(
      and(inQuestions, eq(f.llmPromptConfig, input.promptConfig), inArray(f.llmAnalysisStatus, ["pending"])),
    )
    .groupBy(f.llmPromptHash);
  const stale = new Set(requeued.filter((r) => r.promptConfig !== input.promptConfig).map((r) => r.scanId));
  return {
    questions: hashes.length,
    findings: requeued.length,
    prompts: prompts.map((p) => ({
      promptHash: p.promptHash as string,
      severityRank: p.severityRank as number,
    })),
    scansToPrepare: [...stale],
  };
}
