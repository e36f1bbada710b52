import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { getCve, type ServiceContext } from "@vulntriage/core";
import { Type } from "typebox";
import { badRequest, errorRef, unavailable } from "../schemas/common.js";

export type CveRoutesOptions = { ctx: ServiceContext };

export const cveRoutes: FastifyPluginAsyncTypebox<CveRoutesOptions> = async (app, { ctx }) => {
  app.get(
    "/api/cve/:vulnerability_id",
    {
      config: { access: { scope: "read", bucket: "reads" } },
      schema: {
        operationId: "getCve",
        tags: ["cve"],
        summary: "What the fleet knows about one vulnerability: KEV, EPSS, NVD, aliases",
        description:
          "One answer per vulnerability id seen in any scan (CVE-…, GHSA-…, GO-…), with each source's outcome: " +
          "`found`, `not_listed` (checked, absent), `error` (with the reason; tried again later) or `not_checked` " +
          "(never asked: offline, not applicable, or not yet). 404 for an id no scan has.",
        params: Type.Object({
          vulnerability_id: Type.String({
            pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]*$",
            maxLength: 100,
            description: "CVE-…, GHSA-…, GO-…: as the scans have it",
          }),
        }),
        response: {
          200: Type.Ref("Cve", { description: "What the fleet knows about this vulnerability" }),
          400: badRequest,
          404: errorRef("No scan has this vulnerability id"),
          503: unavailable,
        },
      },
    },
    async (request) => getCve({ ctx, input: { vulnerabilityId: request.params.vulnerability_id } }),
  );
};
