import { type Static, Type } from "typebox";
import { RiskSchema } from "../risk/risk-dto.js";

// What the analyze endpoint answers: the one definition of its shapes (the type derives from them).
export const AnalysisCompletedSchema = Type.Object(
  {
    finding_id: Type.Integer(),
    status: Type.Literal("completed"),
    cached: Type.Boolean({ description: "Served from stored analyses; this request made no LLM call" }),
    summary: Type.String(),
    recommendations: Type.Array(Type.String()),
    risk_score: Type.Integer({ minimum: 1, maximum: 10 }),
    analyzed_at: Type.String({ format: "date-time" }),
    model: Type.Union([Type.String(), Type.Null()]),
    prompt_hash: Type.String(),
    risk: RiskSchema,
  },
  { $id: "AnalysisCompleted", title: "AnalysisCompleted" },
);

export const AnalysisFailedSchema = Type.Object(
  {
    finding_id: Type.Integer(),
    status: Type.Literal("failed"),
    error: Type.String({ description: "Why; `?refresh=true` asks again" }),
    prompt_hash: Type.Union([Type.String(), Type.Null()]),
    risk: RiskSchema,
  },
  { $id: "AnalysisFailed", title: "AnalysisFailed" },
);

export const AnalysisWaitingSchema = Type.Object(
  {
    finding_id: Type.Integer(),
    status: Type.Union([Type.Literal("pending"), Type.Literal("processing")]),
    risk: RiskSchema,
  },
  { $id: "AnalysisWaiting", title: "AnalysisWaiting" },
);

export type AnalysisAnswer = Static<
  typeof AnalysisCompletedSchema | typeof AnalysisFailedSchema | typeof AnalysisWaitingSchema
>;
