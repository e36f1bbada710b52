import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import {
  getLatestScanByImageName,
  getScan,
  ingestReport,
  listScanFindings,
  listScans,
  MAX_IMAGE_NAME_LENGTH,
  MalformedJsonError,
  type ServiceContext,
} from "@vulntriage/core";
import { Type } from "typebox";
import { acceptReportBodies } from "../plugins/report-body.js";
import {
  badRequest,
  errorRef,
  IdParam,
  ImageNameParam,
  OffsetParam,
  RETRY_AFTER,
  scanRef,
  unavailable,
} from "../schemas/common.js";
import { parseScanIdentifier, parseSeverities, parseStatuses } from "./query-parsing.js";

const SCANS_LIMIT = 50;
const FINDINGS_LIMIT = 100;
const notFound = (what: string) => errorRef(`No ${what}`);

// Documented only (see trivy-report.ts): the body reaches the handler as raw bytes, and Fastify
// would validate the header with a case-sensitive enum where the upload reads it case-insensitively.
const documentedUpload = {
  body: Type.Union([Type.Ref("TrivyReport"), Type.Ref("LegacyTrivyReport")], {
    description:
      "A Trivy JSON report. Send it as it is, or gzip-compressed with `Content-Encoding: gzip` (the size limit applies after decoding).",
  }),
  headers: Type.Object({
    "Content-Encoding": Type.Optional(
      Type.String({
        enum: ["gzip", "x-gzip", "identity"],
        description: "gzip: the body is the gzip-compressed report (any other encoding answers 415)",
      }),
    ),
  }),
};

export type ScansRoutesOptions = { ctx: ServiceContext; maxReportBytes: number };

export const scansRoutes: FastifyPluginAsyncTypebox<ScansRoutesOptions> = async (
  app,
  { ctx, maxReportBytes },
) => {
  const { metrics } = ctx;
  app.register(async (child) => {
    acceptReportBodies(child, maxReportBytes);
    const uploads = child.withTypeProvider<TypeBoxTypeProvider>();
    uploads.post(
      "/api/container/scans",
      {
        config: {
          access: { scope: "scans:write", bucket: "uploads" },
          swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, ...documentedUpload }, url }),
        },
        // Successes are counted by the handler (with their duration); every refusal and failure,
        // wherever it happened (access, body, parse, store), here. Busy is the 503 with Retry-After.
        onResponse: async (_request, reply) => {
          const status = reply.statusCode;
          if (!metrics || status < 400) return;
          if (status < 500) metrics.upload("refused");
          else metrics.upload(status === 503 && reply.hasHeader("retry-after") ? "busy" : "failed");
        },
        schema: {
          operationId: "ingestScan",
          tags: ["scans"],
          summary: "Upload a Trivy JSON report",
          description:
            "Body: the output of `trivy image -f json` (any Trivy version: SchemaVersion 2 or the legacy array), " +
            "optionally with `Content-Encoding: gzip`. A report already stored for the same image answers 200 " +
            "with `duplicate: true` and writes nothing. Only vulnerabilities become findings: `skipped` counts " +
            "the report's misconfigurations, secrets and licences, which are not stored.",
          querystring: Type.Object({
            image_name: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: MAX_IMAGE_NAME_LENGTH,
                description: "Image name to file the scan under; overrides ArtifactName",
              }),
            ),
          }),
          response: {
            201: Type.Object(
              {
                duplicate: Type.Literal(false),
                scan: scanRef("The new scan"),
                findings_ingested: Type.Integer({ description: "Findings stored (exact repeats once)" }),
                skipped: Type.Ref("Skipped"),
              },
              {
                description: "A new scan was stored with its findings",
                headers: {
                  Location: {
                    type: "string",
                    description: "The new scan's findings: /api/container/scans/{id}/findings",
                  },
                },
              },
            ),
            200: Type.Object(
              {
                duplicate: Type.Literal(true),
                scan: scanRef("The scan stored earlier"),
                skipped: Type.Union([Type.Ref("Skipped"), Type.Null()], {
                  description:
                    "As counted when the scan was stored; null for scans stored before counts were kept",
                }),
              },
              { description: "This report was already stored for this image: nothing was written" },
            ),
            400: errorRef("Malformed JSON, gzip or image_name"),
            413: errorRef("The report is larger than MAX_REPORT_BYTES (after gzip decoding)"),
            415: errorRef("Not application/json, or an encoding other than gzip"),
            422: errorRef(
              "JSON that is not a Trivy report vulntriage can store; the message says where and why",
            ),
            503: errorRef(
              "Busy (at the upload cap; Retry-After says when to retry) or PostgreSQL is not answering; nothing was written",
              RETRY_AFTER,
            ),
          },
        },
      },
      async (request, reply) => {
        // No Content-Type and no body (curl -X POST) reaches here without running any parser.
        if (!Buffer.isBuffer(request.body)) {
          throw new MalformedJsonError("the body is empty; send the JSON of `trivy image -f json`");
        }
        const started = performance.now();
        const result = await ingestReport({
          ctx,
          input: {
            body: request.body,
            gzipBody: request.gzipBody,
            imageName: request.query.image_name,
          },
        });
        metrics?.ingested(
          result.duplicate ? "duplicate" : "created",
          (performance.now() - started) / 1000,
          result.duplicate ? 0 : result.findingsIngested,
        );
        if (result.duplicate) {
          return reply
            .status(200)
            .send({ duplicate: true as const, scan: result.scan, skipped: result.skipped });
        }
        // Only a created scan is a new resource to point at.
        reply.header("location", `/api/container/scans/${result.scan.id}/findings`);
        return reply.status(201).send({
          duplicate: false as const,
          scan: result.scan,
          findings_ingested: result.findingsIngested,
          skipped: result.skipped,
        });
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
        description:
          "Every scan, most recently ingested first, a page at a time: `items` holds at most `limit` scans " +
          "after skipping `offset`, and `total` counts them all.",
        querystring: Type.Object({
          limit: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 500, default: SCANS_LIMIT, description: "Scans per page" }),
          ),
          offset: OffsetParam,
        }),
        response: {
          200: Type.Ref("ScanPage", { description: "A page of scans" }),
          400: badRequest,
          503: unavailable,
        },
      },
    },
    async (request) =>
      listScans({
        ctx,
        input: { limit: request.query.limit ?? SCANS_LIMIT, offset: request.query.offset ?? 0 },
      }),
  );

  app.get(
    "/api/scans/:scan_id",
    {
      config: { access: { scope: "read", bucket: "reads" } },
      schema: {
        operationId: "getScan",
        tags: ["scans"],
        summary: "One scan by its id",
        description:
          "The scan with this id, whether or not it has an image name. (Under `/api/container/scans/` a path " +
          'segment is an image name, so a numeric id there would be read as the image "1".)',
        params: Type.Object({ scan_id: IdParam("scan") }),
        response: {
          200: scanRef("The scan"),
          400: errorRef("The id is not a positive integer"),
          404: notFound("scan with this id"),
          503: unavailable,
        },
      },
    },
    async (request) => getScan({ ctx, input: { scanId: request.params.scan_id } }),
  );

  app.get(
    "/api/container/scans/:artifactname",
    {
      config: { access: { scope: "read", bucket: "reads" } },
      schema: {
        operationId: "getLatestScanByImageName",
        tags: ["scans"],
        summary: "The latest scan of an image",
        description:
          "The newest report of that image name (by the report's CreatedAt, else its ingest time; of equally " +
          "new ones the last ingested). Percent-encode the name: `ghcr.io%2Forg%2Fapp%3A1.0`. A scan by its id " +
          "is `GET /api/scans/{scan_id}`.",
        params: Type.Object({ artifactname: ImageNameParam }),
        response: {
          200: scanRef("The image's latest scan"),
          400: errorRef("The image name cannot be stored (control or invisible characters, too long)"),
          404: notFound("scan of this image"),
          503: unavailable,
        },
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
          limit: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 1000,
              default: FINDINGS_LIMIT,
              description: "Findings per page",
            }),
          ),
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
          200: Type.Ref("FindingPage", { description: "A page of the scan's findings" }),
          400: badRequest,
          404: notFound("scan with this id, or of this image"),
          503: unavailable,
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
          limit: request.query.limit ?? FINDINGS_LIMIT,
          offset: request.query.offset ?? 0,
        },
      }),
  );
};
