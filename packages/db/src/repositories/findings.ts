import { and, asc, count, eq, getTableColumns, inArray, type SQL } from "drizzle-orm";
import type { Executor } from "../client.js";
import { containerFindings } from "../schema/index.js";

export type FindingRow = typeof containerFindings.$inferSelect;

// Lists leave out cve_data (most of a finding's bytes; only the single-finding read needs it) and
// the bookkeeping columns no answer shows.
const {
  cveData: _cveData,
  identityHash: _identityHash,
  severityRank: _severityRank,
  llmPromptHash: _llmPromptHash,
  llmPromptConfig: _llmPromptConfig,
  llmAnalysisStartedAt: _llmAnalysisStartedAt,
  ...listColumns
} = getTableColumns(containerFindings);

function selectFindingList(db: Executor) {
  return db.select(listColumns).from(containerFindings);
}

export type FindingListRow = Awaited<ReturnType<typeof selectFindingList>>[number];

type FindingFilter = {
  scanId: number;
  severities?: FindingRow["severity"][] | undefined;
  statuses?: string[] | undefined;
  limit: number;
  offset: number;
};

export async function listFindings(
  db: Executor,
  filter: FindingFilter,
): Promise<{ rows: FindingListRow[]; total: number }> {
  const conditions: SQL[] = [eq(containerFindings.scanId, filter.scanId)];
  if (filter.severities?.length) conditions.push(inArray(containerFindings.severity, filter.severities));
  if (filter.statuses?.length) conditions.push(inArray(containerFindings.status, filter.statuses));
  const where = and(...conditions);
  const [rows, totals] = await Promise.all([
    selectFindingList(db)
      .where(where)
      .orderBy(asc(containerFindings.severityRank), asc(containerFindings.id))
      .limit(filter.limit)
      .offset(filter.offset),
    db.select({ total: count() }).from(containerFindings).where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

export async function findFindingById(db: Executor, id: number): Promise<FindingRow | undefined> {
  const [row] = await db.select().from(containerFindings).where(eq(containerFindings.id, id)).limit(1);
  return row;
}
