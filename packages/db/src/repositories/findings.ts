import { and, asc, count, eq, getTableColumns, inArray, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { containerFindings, cveEnrichment as e } from "../schema/index.js";

// What the fleet knows about the finding's vulnerability (a left join: null until enriched), and
// the severity source Trivy used, which picks the CVSS the risk score starts from.
const exploitationColumns = {
  severitySource: sql<string | null>`${containerFindings.cveData}->>'SeveritySource'`,
  epssScore: e.epssScore,
  epssPercentile: e.epssPercentile,
  epssDate: e.epssDate,
  kevOutcome: e.kevOutcome,
  kev: e.kev,
  nvd: e.nvd,
};

function selectFindingDetail(db: Executor) {
  return db
    .select({ ...getTableColumns(containerFindings), ...exploitationColumns })
    .from(containerFindings)
    .leftJoin(e, eq(e.vulnerabilityId, containerFindings.vulnerabilityId));
}

export type FindingRow = Awaited<ReturnType<typeof selectFindingDetail>>[number];

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
  return db
    .select({ ...listColumns, ...exploitationColumns })
    .from(containerFindings)
    .leftJoin(e, eq(e.vulnerabilityId, containerFindings.vulnerabilityId));
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
  const [row] = await selectFindingDetail(db).where(eq(containerFindings.id, id)).limit(1);
  return row;
}
