import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  AnalysisCompletedSchema,
  AnalysisFailedSchema,
  AnalysisWaitingSchema,
  getScanAnalysisProgress,
  requestAnalysis,
  type ServiceContext,
} from "@vulntriage/core";
import { Type } from "typebox";
import { errorRef, ImageNameParam } from "../schemas/common.js";
import { parseId, parseScanIdentifier } from "./query-parsing.js";

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

  app.get(
    "/api/container/scans/:identifier/analysis",
    {
      schema: {
        operationId: "getScanAnalysisProgress",
        tags: ["analysis"],
        summary: "How far the analysis of a scan's findings has come",
        description:
          "`identifier` is a numeric scan id, or an image name (percent-encoded) meaning that image's latest " +
          "scan. Findings per analysis status, distinct questions asked and answered, and an estimate of the " +
          "time left from the recent answer rate. Poll it until nothing is pending or processing.",
        params: Type.Object({ identifier: ImageNameParam }),
        response: { 200: Type.Ref("AnalysisProgress"), 400: errorRef, 404: errorRef, 503: errorRef },
      },
    },
    async (request) =>
      getScanAnalysisProgress({ ctx, input: { scan: parseScanIdentifier(request.params.identifier) } }),
  );
};
