import type { FindingListRow } from "@vulntriage/db";
import { type Static, Type } from "typebox";
import { bestCvss } from "./best-cvss.js";
import { computeRisk, type Risk } from "./risk-score.js";

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const NullableDate = Type.Union([Type.String({ format: "date" }), Type.Null()]);

export const RiskSchema = Type.Object(
  {
    score: Type.Integer({
      minimum: 1,
      maximum: 10,
      description: "Deterministic risk; the README gives the formula",
    }),
    // Enums and type lists rather than unions: the analyze endpoint serialises this on its hot path,
    // and the serialiser checks a type list with typeof where a union costs a schema validation.
    band: Type.Unsafe<"low" | "medium" | "high" | "critical">({
      type: "string",
      enum: ["low", "medium", "high", "critical"],
    }),
    factors: Type.Array(
      Type.Object({
        name: Type.String(),
        value: Type.Unsafe<string | number | boolean | null>({
          type: ["string", "number", "boolean", "null"],
          description: "The input as it was used; null when unknown",
        }),
        points: Type.Number({ description: "What this input added to the score before rounding" }),
      }),
    ),
    llm_score: Type.Unsafe<number | null>({
      type: ["integer", "null"],
      minimum: 1,
      maximum: 10,
      description: "The model's risk score (llm_analysis_risk_score); null until analysed",
    }),
    disagreement: Type.Boolean({ description: "The two scores differ by 3 or more" }),
  },
  { title: "Risk" },
);

export const ExploitationSchema = Type.Object(
  {
    epss_score: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
      description: "FIRST EPSS probability of exploitation in the next 30 days",
    }),
    epss_percentile: NullableNumber,
    epss_date: NullableDate,
    kev_listed: Type.Union([Type.Boolean(), Type.Null()], {
      description: "In CISA's KEV catalogue; false when checked and not listed; null while not checked",
    }),
    kev_date_added: NullableDate,
    kev_due_date: NullableDate,
    ransomware: Type.Union([Type.Boolean(), Type.Null()], {
      description: "KEV's known ransomware campaign use; null when unknown",
    }),
  },
  { title: "Exploitation" },
);

export type RiskDto = Static<typeof RiskSchema>;
export type ExploitationDto = Static<typeof ExploitationSchema>;

type RiskSource = Pick<
  FindingListRow,
  | "cvss"
  | "severity"
  | "fixedVersion"
  | "llmAnalysisRiskScore"
  | "severitySource"
  | "epssScore"
  | "epssPercentile"
  | "epssDate"
  | "kevOutcome"
  | "kev"
  | "nvd"
>;

function kevListed(row: RiskSource): boolean | null {
  if (row.kevOutcome === "found") return true;
  if (row.kevOutcome === "not_listed") return false;
  return null;
}

export function exploitationOf(row: RiskSource): ExploitationDto {
  const listed = kevListed(row);
  return {
    epss_score: row.epssScore,
    epss_percentile: row.epssPercentile,
    epss_date: row.epssDate,
    kev_listed: listed,
    kev_date_added: listed ? (row.kev?.dateAdded ?? null) : null,
    kev_due_date: listed ? (row.kev?.dueDate ?? null) : null,
    ransomware: listed ? (row.kev?.knownRansomwareCampaignUse ?? null) : null,
  };
}

/** The deterministic part of the risk, as stored on the finding at each enrichment. */
export function computedRiskOf(row: RiskSource): Risk {
  const exploitation = exploitationOf(row);
  return computeRisk({
    cvss: bestCvss(row.cvss, row.severitySource, row.nvd),
    severity: row.severity,
    epss: exploitation.epss_score,
    kev: exploitation.kev_listed,
    ransomware: exploitation.ransomware,
    fixAvailable: Boolean(row.fixedVersion?.trim()),
  });
}

/** The explained risk: the deterministic score beside the model's. */
export function withLlmScore(risk: Risk, llmScore: number | null): RiskDto {
  return {
    ...risk,
    llm_score: llmScore,
    disagreement: llmScore !== null && Math.abs(llmScore - risk.score) >= 3,
  };
}

export function riskOf(row: RiskSource): RiskDto {
  return withLlmScore(computedRiskOf(row), row.llmAnalysisRiskScore);
}
