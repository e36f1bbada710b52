import type { FindingListRow, FindingRow } from "@vulntriage/db";

export type FindingDto = {
  id: number;
  scan_id: number;
  vulnerability_id: string | null;
  pkg_name: string;
  pkg_id: string | null;
  purl: string | null;
  installed_version: string | null;
  fixed_version: string | null;
  status: string | null;
  severity: string;
  target: string;
  class: string | null;
  type: string | null;
  pkg_path: string | null;
  title: string | null;
  primary_url: string | null;
  cvss: unknown;
  cwe_ids: string[] | null;
  llm_analysis_summary: string | null;
  llm_analysis_recommendations: string[] | null;
  llm_analysis_risk_score: number | null;
  llm_analysis_timestamp: string | null;
  llm_analysis_prompt_hash: string | null;
  llm_analysis_model: string | null;
  llm_analysis_status: string | null;
  llm_analysis_error: string | null;
};

export type FindingDetailDto = FindingDto & { cve_data: unknown };

export function toFindingDto(row: FindingListRow): FindingDto {
  return {
    id: row.id,
    scan_id: row.scanId,
    vulnerability_id: row.vulnerabilityId,
    pkg_name: row.pkgName,
    pkg_id: row.pkgId,
    purl: row.purl,
    installed_version: row.installedVersion,
    fixed_version: row.fixedVersion,
    status: row.status,
    severity: row.severity,
    target: row.target,
    class: row.class,
    type: row.type,
    pkg_path: row.pkgPath,
    title: row.title,
    primary_url: row.primaryUrl,
    cvss: row.cvss ?? null,
    cwe_ids: row.cweIds,
    llm_analysis_summary: row.llmAnalysisSummary,
    llm_analysis_recommendations: row.llmAnalysisRecommendations,
    llm_analysis_risk_score: row.llmAnalysisRiskScore,
    llm_analysis_timestamp: row.llmAnalysisTimestamp?.toISOString() ?? null,
    llm_analysis_prompt_hash: row.llmAnalysisPromptHash,
    llm_analysis_model: row.llmAnalysisModel,
    llm_analysis_status: row.llmAnalysisStatus,
    llm_analysis_error: row.llmAnalysisError,
  };
}

export function toFindingDetailDto(row: FindingRow): FindingDetailDto {
  return { ...toFindingDto(row), cve_data: row.cveData };
}
