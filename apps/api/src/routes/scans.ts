import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import {
  FindingPageSchema,
  getLatestScanByImageName,
  ingestReport,
  listScanFindings,
  listScans,
  MAX_IMAGE_NAME_LENGTH,
  MalformedJsonError,
  ScanPageSchema,
  type ServiceContext,
} from "@vulntriage/core";
import { Type } from "typebox";
import { acceptReportBodies } from "../plugins/report-body.js";
import { errorRef, ImageNameParam, OffsetParam, scanRef } from "../schemas/common.js";
import { parseScanIdentifier, parseSeverities, parseStatuses } from "./query-parsing.js";

export type ScansRoutesOptions = { ctx: ServiceContext; maxReportBytes: number };

export const scansRoutes: FastifyPluginAsyncTypebox<ScansRoutesOptions> = async (
  app,
  { ctx, maxReportBytes },
) => {
  app.register(async (child) => {
    acceptReportBodies(child, maxReportBytes);
    const uploads = child.withTypeProvider<TypeBoxTypeProvider>();
    uploads.post(
      "/api/container/scans",
      {
        config: { access: { scope: "scans:write", bucket: "uploads" } },
        schema: {
          operationId: "ingestScan",
          tags: ["scans"],
          summary: "Upload a Trivy JSON report",
          description:
            "Body: the output of `trivy image -f json` (any Trivy version: SchemaVersion 2 or the legacy array), " +
            "optionally with `Content-Encoding: gzip`. A report already stored for the same image answers 200 " +
            "with `duplicate: true` and writes nothing.",
          consumes: ["application/json"],
          querystring: Type.Object({
            image_name: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: MAX_IMAGE_NAME_LENGTH,
                description: "Image name to file the scan under; overrides ArtifactName",
              }),
            ),
          }),
          body: Type.Unknown({ description: "A Trivy JSON report" }),
          response: {
            201: Type.Object({
              duplicate: Type.Literal(false),
              scan: scanRef,
              findings_ingested: Type.Integer(),
            }),
            200: Type.Object({ duplicate: Type.Literal(true), scan: scanRef }),
            400: errorRef,
            413: errorRef,
            415: errorRef,
            422: errorRef,
            503: errorRef,
          },
        },
      },
      async (request, reply) => {
        // No Content-Type and no body (curl -X POST) reaches here without running any parser.
        if (!Buffer.isBuffer(request.body)) {
          throw new MalformedJsonError("the body is empty; send the JSON of `trivy image -f json`");
        }
        const result = await ingestReport({
          ctx,
          input: {
            body: request.body,
            gzipBody: request.gzipBody,
            imageName: request.query.image_name,
          },
        });
        reply.header("location", `/api/container/scans/${result.scan.id}/findings`);
        if (result.duplicate) return reply.status(200).send({ duplicate: true as const, scan: result.scan });
        return reply
          .status(201)
          .send({ duplicate: false as const, scan: result.scan, findings_ingested: result.findingsIngested });
      },
    );
  });

  app.get(
    "/api/container/scans",
    {
      config: { access: { scope: "read", bucket: "reads" } },
      schema: {
        operationId: "listScans",
        tags: ["scans"],
        summary: "List scans, newest first",
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          offset: OffsetParam,
        }),
        response: { 200: ScanPageSchema, 400: errorRef, 503: errorRef },
      },
    },
    async (request) => listScans({ ctx, input: request.query }),
  );

  app.get(
    "/api/container/scans/:artifactname",
    {
      config: { access: { scope: "read", bucket: "reads" } },
      schema: {
        operationId: "getLatestScanByImageName",
        tags: ["scans"],
        summary: "The latest scan of an image",
        params: Type.Object({ artifactname: ImageNameParam }),
        response: { 200: scanRef, 400: errorRef, 404: errorRef, 503: errorRef },
      },
    },
    async (request) => getLatestScanByImageName({ ctx, input: { imageName: request.params.artifactname } }),
  );

  app.get(
    "/api/container/scans/:identifier/findings",
    {
      config: { access: { scope: "read", bucket: "reads" } },
      schema: {
        operationId: "listScanFindings",
        tags: ["findings"],
        summary: "Findings of a scan, most severe (or highest risk) first",
        description:
          "`identifier` is a numeric scan id, or an image name (percent-encoded) meaning that image's latest scan. " +
          "`sort=risk` orders by the deterministic risk score (highest first, then severity); `kev=true` keeps " +
          "findings whose vulnerability is in CISA's KEV; `min_epss` and `min_risk` keep those at or above.",
        params: Type.Object({ identifier: ImageNameParam }),
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          offset: OffsetParam,
          severity: Type.Optional(
            Type.String({ description: "Comma-separated severities, e.g. CRITICAL,HIGH", maxLength: 100 }),
          ),
          status: Type.Optional(
            Type.String({
              description: "Comma-separated Trivy statuses, e.g. fixed,affected",
              maxLength: 200,
            }),
          ),
          sort: Type.Optional(
            Type.Union([Type.Literal("severity"), Type.Literal("risk")], { default: "severity" }),
          ),
          kev: Type.Optional(Type.Boolean({ description: "true: only KEV-listed; false: only not listed" })),
          min_epss: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          min_risk: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
        }),
        response: {
          200: FindingPageSchema,
          400: errorRef,
          404: errorRef,
          503: errorRef,
        },
      },
    },
    async (request) =>
      listScanFindings({
        ctx,
        input: {
          scan: parseScanIdentifier(request.params.identifier),
          severities: parseSeverities(request.query.severity),
          statuses: parseStatuses(request.query.status),
          sort: request.query.sort ?? "severity",
          kev: request.query.kev,
          minEpss: request.query.min_epss,
          minRisk: request.query.min_risk,
          limit: request.query.limit,
          offset: request.query.offset,
        },
      }),
  );
};
