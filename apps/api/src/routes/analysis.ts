import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  AnalysisRetryRequestSchema,
  getScanAnalysisProgress,
  requestAnalysis,
  retryFailedAnalyses,
  type ServiceContext,
} from "@vulntriage/core";
import { Type } from "typebox";
import { badRequest, errorRef, IdParam, ImageNameParam, unavailable } from "../schemas/common.js";
import { parseScanIdentifier } from "./query-parsing.js";

export type AnalysisRoutesOptions = { ctx: ServiceContext };

export const analysisRoutes: FastifyPluginAsyncTypebox<AnalysisRoutesOptions> = async (app, { ctx }) => {
  app.get(
    "/api/llm/analyze/container/:finding_id",
    {
      // Asking the model again is a write: its own scope and its own, smaller limit.
      config: {
        access: { scope: "read", bucket: "reads", refresh: { scope: "analysis:write", bucket: "refresh" } },
      },
      schema: {
        operationId: "analyzeFinding",
        tags: ["analysis"],
        summary: "The LLM analysis of a finding",
        description:
          "200 with the analysis when it is stored and fresh (or `status: failed` with the error); 202 while it " +
          "is pending or processing — a finding never analysed is queued by this request. `refresh=true` asks " +
          "the model again: it needs the scope `analysis:write` and counts against RATE_LIMIT_REFRESH_PER_MINUTE, " +
          "and a question answered or queued in the last minute is not asked again.",
        params: Type.Object({ finding_id: IdParam("finding") }),
        querystring: Type.Object({
          refresh: Type.Optional(
            Type.Boolean({ default: false, description: "Ask the model again (scope analysis:write)" }),
          ),
        }),
        response: {
          200: Type.Union([Type.Ref("AnalysisCompleted"), Type.Ref("AnalysisFailed")], {
            description: "The stored analysis, or the failure that ended it",
          }),
          202: Type.Ref("AnalysisWaiting", { description: "Queued or being answered: ask again later" }),
          400: badRequest,
          404: errorRef("No finding with this id"),
          503: unavailable,
        },
      },
    },
    async (request, reply) => {
      const answer = await requestAnalysis({
        ctx,
        input: {
          findingId: request.params.finding_id,
          refresh: request.query.refresh ?? false,
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
      config: { access: { scope: "read", bucket: "reads" } },
      schema: {
        operationId: "getScanAnalysisProgress",
        tags: ["analysis"],
        summary: "How far the analysis of a scan's findings has come",
        description:
          "`identifier` is a numeric scan id, or an image name (percent-encoded) meaning that image's latest " +
          "scan. Findings per analysis status, distinct questions asked and answered, and an estimate of the " +
          "time left from the recent answer rate. Poll it until nothing is pending or processing.",
        params: Type.Object({ identifier: ImageNameParam }),
        response: {
          200: Type.Ref("AnalysisProgress", { description: "The scan's analysis progress" }),
          400: badRequest,
          404: errorRef("No scan with this id, or of this image"),
          503: unavailable,
        },
      },
    },
    async (request) =>
      getScanAnalysisProgress({ ctx, input: { scan: parseScanIdentifier(request.params.identifier) } }),
  );

  app.post(
    "/api/llm/analyze/retry",
    {
      config: { access: { scope: "analysis:write", bucket: "refresh" } },
      schema: {
        operationId: "retryFailedAnalyses",
        tags: ["analysis"],
        summary: "Ask failed questions again, in bulk",
        description:
          "A failed question is never asked again on its own, whichever scan contains it. This forgets the " +
          "stored failures of the failed questions — of one scan when `scan_id` is given, else everywhere — " +
          "and queues them again; every finding that failed on them goes back to `pending`. Answers how many " +
          "questions and findings were queued (0 and 0 when nothing had failed).",
        body: AnalysisRetryRequestSchema,
        response: {
          202: Type.Ref("AnalysisRetry", { description: "The failed questions were queued again" }),
          400: badRequest,
          404: errorRef("No scan with this scan_id"),
          503: unavailable,
        },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await retryFailedAnalyses({ ctx, input: { scanId: request.body.scan_id } })),
  );
};
