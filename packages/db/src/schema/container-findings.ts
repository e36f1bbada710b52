import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  unique,
} from "drizzle-orm/pg-core";
import { containerScans } from "./container-scans.js";

/** The explained deterministic risk as core computes it (core's Risk is this shape). */
export type StoredRisk = {
  score: number;
  band: "low" | "medium" | "high" | "critical";
  factors: { name: string; value: string | number | boolean | null; points: number }[];
};

export const containerFindings = pgTable(
  "container_findings",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    scanId: bigint("scan_id", { mode: "number" })
      .notNull()
      .references(() => containerScans.id, { onDelete: "cascade" }),
    vulnerabilityId: text("vulnerability_id"),
    pkgName: text("pkg_name").notNull(),
    pkgId: text("pkg_id"),
    purl: text("purl"),
    installedVersion: text("installed_version"),
    fixedVersion: text("fixed_version"),
    status: text("status"),
    // SHA-256 of (target, vulnerability_id, pkg_name, installed_version, pkg_path): the identity of a
    // finding within its scan, hashed so that long paths never hit the btree row-size limit.
    identityHash: text("identity_hash").notNull(),
    // The value sets of these columns are their CHECK constraints below.
    severity: text("severity").$type<"CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "UNKNOWN">().notNull(),
    // 0 = CRITICAL … 4 = UNKNOWN: lets "most severe first" use an index.
    severityRank: smallint("severity_rank").notNull(),
    target: text("target").notNull(),
    class: text("class"),
    type: text("type"),
    pkgPath: text("pkg_path"),
    title: text("title"),
    primaryUrl: text("primary_url"),
    cvss: jsonb("cvss").$type<Record<string, unknown>>(),
    cweIds: text("cwe_ids").array(),
    cveData: jsonb("cve_data").$type<Record<string, unknown>>().notNull(),
    llmAnalysisSummary: text("llm_analysis_summary"),
    llmAnalysisRecommendations: jsonb("llm_analysis_recommendations").$type<string[]>(),
    llmAnalysisRiskScore: integer("llm_analysis_risk_score"),
    llmAnalysisTimestamp: timestamp("llm_analysis_timestamp", { withTimezone: true, mode: "date" }),
    llmAnalysisPromptHash: text("llm_analysis_prompt_hash"),
    llmAnalysisModel: text("llm_analysis_model"),
    llmAnalysisStatus: text("llm_analysis_status").$type<"pending" | "processing" | "completed" | "failed">(),
    llmAnalysisError: text("llm_analysis_error"),
    // The hash of the prompt this finding gets under the settings in llm_prompt_config (set when
    // its analysis is prepared): the analyze endpoint compares hashes without rebuilding prompts.
    llmPromptHash: text("llm_prompt_hash"),
    llmPromptConfig: text("llm_prompt_config"),
    llmAnalysisStartedAt: timestamp("llm_analysis_started_at", { withTimezone: true, mode: "date" }),
    // The deterministic risk (core's risk-score.ts) as of the last enrichment of this finding's
    // vulnerability: the score for sorting and filtering, and the whole explanation so the analyze
    // endpoint's primary-key read answers it without a join. Lists compute it live.
    riskScore: smallint("risk_score"),
    riskDetail: jsonb("risk_detail").$type<StoredRisk>(),
  },
  (t) => [
    unique("container_findings_identity_key").on(t.scanId, t.identityHash),
    index("container_findings_scan_severity_idx").on(t.scanId, t.severityRank, t.id),
    index("container_findings_vulnerability_idx").on(t.vulnerabilityId),
    index("container_findings_scan_risk_idx").on(
      t.scanId,
      t.riskScore.desc().nullsLast(),
      t.severityRank,
      t.id,
    ),
    index("container_findings_prompt_hash_idx")
      .on(t.llmPromptHash)
      .where(sql`${t.llmPromptHash} is not null`),
    index("container_findings_analysis_open_idx")
      .on(t.scanId)
      .where(sql`${t.llmAnalysisStatus} in ('pending', 'processing')`),
    check(
      "container_findings_severity_check",
      sql`${t.severity} in ('CRITICAL','HIGH','MEDIUM','LOW','UNKNOWN')`,
    ),
    check(
      "container_findings_llm_status_check",
      sql`${t.llmAnalysisStatus} in ('pending','processing','completed','failed')`,
    ),
    check("container_findings_llm_risk_score_check", sql`${t.llmAnalysisRiskScore} between 1 and 10`),
    check("container_findings_risk_score_check", sql`${t.riskScore} between 1 and 10`),
  ],
);
