import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  AnalysisCompletedSchema,
  AnalysisFailedSchema,
  AnalysisWaitingSchema,
  requestAnalysis,
  type ServiceContext,
} from "@vulntriage/core";
import { Type } from "typebox";
import { errorRef } from "../schemas/common.js";
import { parseId } from "./query-parsing.js";

export type AnalysisRoutesOptions = { ctx: ServiceContext };

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
          200: Type.Union([AnalysisCompletedSchema, AnalysisFailedSchema]),
          202: AnalysisWaitingSchema,
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
