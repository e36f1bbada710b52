import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { getFinding, type ServiceContext } from "@vulntriage/core";
import { Type } from "typebox";
import { badRequest, errorRef, IdParam, unavailable } from "../schemas/common.js";

export type FindingsRoutesOptions = { ctx: ServiceContext };

export const findingsRoutes: FastifyPluginAsyncTypebox<FindingsRoutesOptions> = async (app, { ctx }) => {
  app.get(
    "/api/container/findings/:finding_id",
    {
      config: { access: { scope: "read", bucket: "reads" } },
      schema: {
        operationId: "getFinding",
        tags: ["findings"],
        summary: "One finding with its CVE data and analysis fields",
        description:
          "Every field of the finding, its risk and exploitation data, the LLM analysis fields, and `cve_data`: " +
          "the vulnerability object exactly as Trivy wrote it.",
        params: Type.Object({ finding_id: IdParam("finding") }),
        response: {
          200: Type.Ref("FindingDetail", { description: "The finding" }),
          400: badRequest,
          404: errorRef("No finding with this id"),
          503: unavailable,
        },
      },
    },
    async (request) => getFinding({ ctx, input: { findingId: request.params.finding_id } }),
  );
};
