import { Type } from "typebox";

const NullableString = Type.Union([Type.String(), Type.Null()]);

const SeveritySchema = Type.Union(
  ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"].map((s) => Type.Literal(s)),
);

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
