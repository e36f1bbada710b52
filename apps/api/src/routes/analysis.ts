import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requestAnalysis, type ServiceContext } from "@vulntriage/core";
import { Type } from "typebox";
import { errorRef } from "../schemas/common.js";
import { parseId } from "./query-parsing.js";

export type AnalysisRoutesOptions = { ctx: ServiceContext };

const Completed = Type.Object({
  finding_id: Type.Integer(),
  status: Type.Literal("completed"),
  cached: Type.Boolean({ description: "Served from stored analyses; this request made no LLM call" }),
  summary: Type.String(),
  recommendations: Type.Array(Type.String()),
  risk_score: Type.Integer({ minimum: 1, maximum: 10 }),
  analyzed_at: Type.String({ format: "date-time" }),
  model: Type.Union([Type.String(), Type.Null()]),
  prompt_hash: Type.String(),
});

const Failed = Type.Object({
  finding_id: Type.Integer(),
  status: Type.Literal("failed"),
  error: Type.String({ description: "Why; `?refresh=true` asks again" }),
  prompt_hash: Type.Union([Type.String(), Type.Null()]),
});

const Waiting = Type.Object({
  finding_id: Type.Integer(),
  status: Type.Union([Type.Literal("pending"), Type.Literal("processing")]),
});

export const analysisRoutes: FastifyPluginAsyncTypebox<AnalysisRoutesOptions> = async (app, { ctx }) => {
  app.get(
    "/api/llm/analyze/container/:finding_id",
    {
      schema: {
        operationId: "analyzeFinding",
        tags: ["analysis"],
        summary: "The LLM analysis of a finding",
        description:
          "200 with the analysis when it is stored and fresh (or `status: failed` with the error); 202 while it " +
          "is pending or processing — a finding never analysed is queued by this request. `refresh=true` asks " +
          "the model again.",
        params: Type.Object({ finding_id: Type.String({ description: "Numeric finding id" }) }),
        querystring: Type.Object({ refresh: Type.Boolean({ default: false }) }),
        response: {
          200: Type.Union([Completed, Failed]),
          202: Waiting,
          400: errorRef,
          404: errorRef,
          503: errorRef,
        },
      },
    },
    async (request, reply) => {
      const answer = await requestAnalysis({
        ctx,
        input: {
          findingId: parseId(request.params.finding_id, "finding_id"),
          refresh: request.query.refresh,
        },
      });
      return reply
        .status(answer.status === "completed" || answer.status === "failed" ? 200 : 202)
        .send(answer);
    },
  );
};
