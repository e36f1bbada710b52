import { and, asc, count, eq, getTableColumns, gte, inArray, or, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { containerFindings, cveEnrichment as e, type StoredRisk } from "../schema/index.js";
import { textArray } from "./sql-params.js";

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
  sort?: "severity" | "risk" | undefined;
  kev?: boolean | undefined;
  minEpss?: number | undefined;
  minRisk?: number | undefined;
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
  if (filter.kev !== undefined) conditions.push(eq(e.kevOutcome, filter.kev ? "found" : "not_listed"));
  if (filter.minEpss !== undefined) conditions.push(gte(e.epssScore, filter.minEpss));
  if (filter.minRisk !== undefined) conditions.push(gte(containerFindings.riskScore, filter.minRisk));
  const where = and(...conditions);
  const order =
    filter.sort === "risk"
      ? [
          sql`${containerFindings.riskScore} desc nulls last`,
          asc(containerFindings.severityRank),
          asc(containerFindings.id),
        ]
      : [asc(containerFindings.severityRank), asc(containerFindings.id)];
  const [rows, totals] = await Promise.all([
    selectFindingList(db)
      .where(where)
      .orderBy(...order)
      .limit(filter.limit)
      .offset(filter.offset),
    // The join only when a filter reads the enrichment: counting a 10k-finding scan stays an index scan.
    filter.kev === undefined && filter.minEpss === undefined
      ? db.select({ total: count() }).from(containerFindings).where(where)
      : db
          .select({ total: count() })
          .from(containerFindings)
          .leftJoin(e, eq(e.vulnerabilityId, containerFindings.vulnerabilityId))
          .where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

export async function findFindingById(db: Executor, id: number): Promise<FindingRow | undefined> {
  const [row] = await selectFindingDetail(db).where(eq(containerFindings.id, id)).limit(1);
  return row;
}

function selectRiskSources(db: Executor) {
  return db
    .select({
      id: containerFindings.id,
      scanId: containerFindings.scanId,
      cvss: containerFindings.cvss,
      severity: containerFindings.severity,
      fixedVersion: containerFindings.fixedVersion,
      llmAnalysisRiskScore: containerFindings.llmAnalysisRiskScore,
      ...exploitationColumns,
    })
    .from(containerFindings)
    .leftJoin(e, eq(e.vulnerabilityId, containerFindings.vulnerabilityId));
}

/** What the deterministic risk of findings is computed from: a scan's, and those of these vulnerability ids anywhere. */
export async function listRiskSources(db: Executor, where: { scanId: number; vulnerabilityIds: string[] }) {
  return selectRiskSources(db).where(
    or(
      eq(containerFindings.scanId, where.scanId),
      where.vulnerabilityIds.length > 0
        ? sql`${containerFindings.vulnerabilityId} = any(${textArray(where.vulnerabilityIds)})`
        : undefined,
    ),
  );
}

/** One finding's risk inputs, for a finding its enrichment has not reached yet. */
export async function findRiskSource(db: Executor, findingId: number) {
  const [row] = await selectRiskSources(db).where(eq(containerFindings.id, findingId));
  return row;
}

/** Stores each finding's deterministic risk: its score (for sorting) and its explanation. */
export async function setRiskScores(db: Executor, ids: number[], risks: StoredRisk[]): Promise<void> {
  if (ids.length === 0) return;
  const details = risks.map((risk) => JSON.stringify(risk));
  // Raw: one statement for every finding needs update … from unnest(), which drizzle cannot build.
  await db.execute(sql`
    update ${containerFindings}
    set risk_score = (u.detail ->> 'score')::smallint, risk_detail = u.detail
    from unnest(${sql.param(ids)}::bigint[], ${sql.param(details)}::jsonb[]) as u(id, detail)
    where ${containerFindings.id} = u.id and ${containerFindings.riskDetail} is distinct from u.detail`);
}
