import { and, asc, count, eq, inArray, type SQL } from "drizzle-orm";
import type { Database } from "../client.js";
import { containerFindings } from "../schema/index.js";

export type FindingRow = typeof containerFindings.$inferSelect;

// Lists leave out cve_data: it is most of a finding's bytes and only the single-finding read needs it.
const listColumns = {
  id: containerFindings.id,
  scanId: containerFindings.scanId,
  vulnerabilityId: containerFindings.vulnerabilityId,
  pkgName: containerFindings.pkgName,
  pkgId: containerFindings.pkgId,
  purl: containerFindings.purl,
  installedVersion: containerFindings.installedVersion,
  fixedVersion: containerFindings.fixedVersion,
  status: containerFindings.status,
  severity: containerFindings.severity,
  target: containerFindings.target,
  class: containerFindings.class,
  type: containerFindings.type,
  pkgPath: containerFindings.pkgPath,
  title: containerFindings.title,
  primaryUrl: containerFindings.primaryUrl,
  cvss: containerFindings.cvss,
  cweIds: containerFindings.cweIds,
  llmAnalysisSummary: containerFindings.llmAnalysisSummary,
  llmAnalysisRecommendations: containerFindings.llmAnalysisRecommendations,
  llmAnalysisRiskScore: containerFindings.llmAnalysisRiskScore,
  llmAnalysisTimestamp: containerFindings.llmAnalysisTimestamp,
  llmAnalysisPromptHash: containerFindings.llmAnalysisPromptHash,
  llmAnalysisModel: containerFindings.llmAnalysisModel,
  llmAnalysisStatus: containerFindings.llmAnalysisStatus,
  llmAnalysisError: containerFindings.llmAnalysisError,
};

export type FindingListRow = Omit<
  FindingRow,
  "cveData" | "identityHash" | "severityRank" | "llmPromptHash" | "llmPromptConfig" | "llmAnalysisStartedAt"
>;

export type FindingFilter = {
  scanId: number;
  severities?: string[] | undefined;
  statuses?: string[] | undefined;
  limit: number;
  offset: number;
};

export async function listFindings(
  db: Database,
  filter: FindingFilter,
): Promise<{ rows: FindingListRow[]; total: number }> {
  const conditions: SQL[] = [eq(containerFindings.scanId, filter.scanId)];
  if (filter.severities?.length) conditions.push(inArray(containerFindings.severity, filter.severities));
  if (filter.statuses?.length) conditions.push(inArray(containerFindings.status, filter.statuses));
  const where = and(...conditions);
  const [rows, totals] = await Promise.all([
    db
      .select(listColumns)
      .from(containerFindings)
      .where(where)
      .orderBy(asc(containerFindings.severityRank), asc(containerFindings.id))
      .limit(filter.limit)
      .offset(filter.offset),
    db.select({ total: count() }).from(containerFindings).where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

export async function findFindingById(db: Database, id: number): Promise<FindingRow | undefined> {
  const [row] = await db.select().from(containerFindings).where(eq(containerFindings.id, id)).limit(1);
  return row;
}
