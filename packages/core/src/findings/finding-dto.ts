import type { FindingListRow, FindingRow } from "@vulntriage/db";
import { type Static, Type } from "typebox";
import { ExploitationSchema, exploitationOf, RiskSchema, riskOf } from "../risk/risk-dto.js";

const NullableString = Type.Union([Type.String(), Type.Null()]);

// A finding as the API serves it, in lists and alone (with cve_data): the one definition of its
// shape; the DTO types derive from it.
const SeveritySchema = Type.Union([
  Type.Literal("CRITICAL"),
  Type.Literal("HIGH"),
  Type.Literal("MEDIUM"),
  Type.Literal("LOW"),
  Type.Literal("UNKNOWN"),
]);

const findingProperties = {
  id: Type.Integer(),
  scan_id: Type.Integer(),
  vulnerability_id: NullableString,
  pkg_name: Type.String(),
  pkg_id: NullableString,
  purl: NullableString,
  installed_version: NullableString,
  fixed_version: Type.Union([Type.String(), Type.Null()], {
    description: "As Trivy wrote it: may be a comma-separated list or a range",
  }),
  status: Type.Union([Type.String(), Type.Null()], { description: "Trivy's status: fixed, affected, …" }),
  severity: SeveritySchema,
  target: Type.String(),
  class: NullableString,
  type: NullableString,
  pkg_path: NullableString,
  title: NullableString,
  primary_url: NullableString,
  cvss: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  cwe_ids: Type.Union([Type.Array(Type.String()), Type.Null()]),
  llm_analysis_summary: NullableString,
  llm_analysis_recommendations: Type.Union([Type.Array(Type.String()), Type.Null()]),
  llm_analysis_risk_score: Type.Union([Type.Integer({ minimum: 1, maximum: 10 }), Type.Null()]),
  llm_analysis_timestamp: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  llm_analysis_prompt_hash: NullableString,
  llm_analysis_model: NullableString,
  llm_analysis_status: Type.Union([
    Type.Literal("pending"),
    Type.Literal("processing"),
    Type.Literal("completed"),
    Type.Literal("failed"),
    Type.Null(),
  ]),
  llm_analysis_error: NullableString,
  risk: RiskSchema,
  exploitation: ExploitationSchema,
};

export const FindingSchema = Type.Object(findingProperties, { $id: "Finding", title: "Finding" });

export const FindingDetailSchema = Type.Object(
  {
    ...findingProperties,
    cve_data: Type.Object(
      {},
      {
        additionalProperties: true,
        description: "The vulnerability object exactly as Trivy reported it",
      },
    ),
  },
  { $id: "FindingDetail", title: "FindingDetail" },
);

export const FindingPageSchema = Type.Object(
  {
    scan_id: Type.Integer(),
    items: Type.Array(Type.Ref("Finding")),
    total: Type.Integer({ description: "Findings matching the filters, across all pages" }),
    limit: Type.Integer({ description: "The page size asked for" }),
    offset: Type.Integer({ description: "Findings skipped before this page" }),
  },
  { $id: "FindingPage", title: "FindingPage" },
);

export type FindingDto = Static<typeof FindingSchema>;
export type FindingDetailDto = Static<typeof FindingDetailSchema>;
export type FindingPage = Static<typeof FindingPageSchema, { Finding: typeof FindingSchema }>;

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
    risk: riskOf(row),
    exploitation: exploitationOf(row),
  };
}

export function toFindingDetailDto(row: FindingRow): FindingDetailDto {
  return { ...toFindingDto(row), cve_data: row.cveData };
}
