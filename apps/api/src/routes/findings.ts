import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { getFinding, type ServiceContext } from "@vulntriage/core";
import { Type } from "typebox";
import { errorRef } from "../schemas/common.js";
import { parseId } from "./query-parsing.js";

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
        params: Type.Object({ finding_id: Type.String({ description: "Numeric finding id" }) }),
        response: { 200: Type.Ref("FindingDetail"), 400: errorRef, 404: errorRef, 503: errorRef },
      },
    },
    async (request) =>
      getFinding({ ctx, input: { findingId: parseId(request.params.finding_id, "finding_id") } }),
  );
};
