import { and, count, countDistinct, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { llmAnalyses as a, containerFindings as f } from "../schema/index.js";
import { WAITING } from "./analysis-conditions.js";

type Status = "pending" | "processing" | "completed" | "failed" | "not_requested";

export type ScanAnalysisCounts = {
  byStatus: Record<Status, number>;
  questions: { total: number; answered: number; repaired: number; waiting: number };
};

// A finding not prepared yet has no prompt hash: until then it counts as a question of its own.
const question = sql<string>`coalesce(${f.llmPromptHash}, 'finding:' || ${f.id})`;

/** How far the analysis of one scan's findings has come: findings per status, distinct questions. */
export async function countScanAnalysis(db: Executor, scanId: number): Promise<ScanAnalysisCounts> {
  const [statuses, questions, repaired] = await Promise.all([
    db
      .select({ status: f.llmAnalysisStatus, findings: count() })
      .from(f)
      .where(eq(f.scanId, scanId))
      .groupBy(f.llmAnalysisStatus),
    db
      .select({
        total: countDistinct(question),
        answered: sql<number>`count(distinct ${question}) filter (where ${f.llmAnalysisStatus} = 'completed')`,
        waiting: sql<number>`count(distinct ${question}) filter (where ${inArray(f.llmAnalysisStatus, WAITING)})`,
      })
      .from(f)
      .where(and(eq(f.scanId, scanId), isNotNull(f.llmAnalysisStatus))),
    db
      .select({ repaired: countDistinct(a.promptHash) })
      .from(f)
      .innerJoin(a, eq(a.promptHash, f.llmAnalysisPromptHash))
      .where(and(eq(f.scanId, scanId), eq(f.llmAnalysisStatus, "completed"), gt(a.repairs, 0))),
  ]);
  const byStatus: Record<Status, number> = {
    not_requested: 0,
    pending: 0,
    processing: 0,
    completed: 0,
    failed: 0,
  };
  for (const row of statuses) byStatus[row.status ?? "not_requested"] = row.findings;
  const q = questions[0];
  return {
    byStatus,
    questions: {
      total: q?.total ?? 0,
      answered: Number(q?.answered ?? 0),
      waiting: Number(q?.waiting ?? 0),
      repaired: repaired[0]?.repaired ?? 0,
    },
  };
}

/** Model answers stored in the last `windowSeconds`, fleet-wide: how fast questions are answered now. */
export async function recentAnswerRate(db: Executor, windowSeconds: number): Promise<number | null> {
  const [row] = await db
    .select({
      answers: count(),
      seconds: sql<number>`extract(epoch from now() - min(${a.createdAt}))::float8`,
    })
    .from(a)
    .where(gt(a.createdAt, sql`now() - make_interval(secs => ${windowSeconds})`));
  if (!row || row.answers < 2 || !row.seconds) return null;
  return row.answers / row.seconds;
}
