import { readFileSync } from "node:fs";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import {
  AnalysisCompletedSchema,
  AnalysisFailedSchema,
  AnalysisProgressSchema,
  AnalysisRetrySchema,
  AnalysisWaitingSchema,
  ApiKeySchema,
  type Config,
  CveSchema,
  createAuthenticator,
  createMetrics,
  ErrorSchema,
  FindingDetailSchema,
  FindingPageSchema,
  FindingSchema,
  HTTP_DEFAULTS,
  type HttpConfig,
  type MetricsConfig,
  ScanPageSchema,
  ScanSchema,
  type ServiceContext,
  SkippedSchema,
} from "@vulntriage/core";
import Fastify, { type FastifyReply, type FastifyServerOptions } from "fastify";
import { type AccessControlOptions, registerAccessControl } from "./plugins/access-control.js";
import { answerExpectations, clientErrorHandler } from "./plugins/client-errors.js";
import { registerErrorHandling } from "./plugins/error-handler.js";
import { DASHBOARD_PATH, registerQueueDashboard } from "./plugins/queue-dashboard.js";
import { checkHosts, cutIdleBodies, digitPathIds } from "./plugins/request-guards.js";
import { DOCS_CSP, registerSecurityHeaders } from "./plugins/security-headers.js";
import { analysisRoutes } from "./routes/analysis.js";
import { cveRoutes } from "./routes/cve.js";
import { findingsRoutes } from "./routes/findings.js";
import { healthRoutes } from "./routes/health.js";
import { keysRoutes } from "./routes/keys.js";
import { metricsRoutes } from "./routes/metrics.js";
import { scansRoutes } from "./routes/scans.js";
import { tidyForOpenApi30 } from "./schemas/openapi-30.js";
import { LegacyTrivyReportSchema, TrivyReportSchema, TrivyResultSchema } from "./schemas/trivy-report.js";

// The same relative path from src/ and from dist/.
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export type AppOptions = {
  ctx: ServiceContext;
  maxReportBytes: number;
  loggerInstance?: FastifyServerOptions["loggerInstance"];
  /** Keys and limits; by default AUTH_MODE=auto with this process's own counters, as for a laptop. */
  access?: Partial<Omit<AccessControlOptions, "authenticator" | "log">>;
  /** DOCS=off: no Swagger UI at /docs (the OpenAPI document is still built). */
  docs?: boolean;
  /** How long what was read about a key is trusted (default 5 s). */
  authCacheMs?: number;
  /** Timeouts, connection cap, Host check, CORS; HTTP_DEFAULTS for what is not given. */
  http?: Partial<HttpConfig>;
  /** METRICS: who may read /metrics (default key: scope read). ctx.metrics is used when given. */
  metrics?: MetricsConfig["access"];
  /** QUEUE_DASHBOARD: bull-board at /admin/queues for scope admin; default off. */
  queueDashboard?: Config["queueDashboard"];
};

const DEFAULT_LIMITS = { uploadsPerMinute: 30, readsPerMinute: 1_200, refreshPerMinute: 30 };

/** Builds the API without listening: server.ts listens, tests use it as it is. */
export async function buildApp(appOptions: AppOptions) {
  const http = { ...HTTP_DEFAULTS, ...appOptions.http };
  const queues = appOptions.ctx.queue
    ? [appOptions.ctx.queue.queue, appOptions.ctx.queue.enrichmentQueue]
    : [];
  // Each app its own registry unless the process made one: tests build several apps in one process.
  const metrics = appOptions.ctx.metrics ?? createMetrics({ queues });
  const options = { ...appOptions, ctx: { ...appOptions.ctx, metrics } };
  const dashboard = options.queueDashboard ?? "off";
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    http: {
      headersTimeout: http.headersTimeoutMs,
      // Node checks the two timeouts above on this interval (30 s by default, which would let a
      // slow client overstay a 10 s limit threefold).
      connectionsCheckingInterval: Math.min(1_000, Math.floor(http.headersTimeoutMs / 4)),
      requireHostHeader: false,
    },
    clientErrorHandler,
    // Image names in paths are percent-encoded and can be long (registry, path, tag and digest).
    routerOptions: { maxParamLength: 8_192 },
    // Router errors (a path with broken percent-encoding) bypass setErrorHandler.
    frameworkErrors: (error, _request, reply) => {
      (reply as FastifyReply)
        .code(400)
        .type("application/json")
        .send(
          JSON.stringify({ error: "invalid_request", message: `the URL cannot be read: ${error.message}` }),
        );
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.server.maxConnections = http.maxConnections;
  answerExpectations(app.server, options.maxReportBytes);
  registerErrorHandling(app, { maxReportBytes: options.maxReportBytes });
  await registerSecurityHeaders(app, { corsOrigins: http.corsOrigins });
  checkHosts(app, http.allowedHosts);
  cutIdleBodies(app, http.bodyIdleTimeoutMs);
  digitPathIds(app);
  const authenticator = createAuthenticator(options.ctx.db, { cacheMs: options.authCacheMs });
  // Before swagger and the routes: its onRoute hook gives each route its access and documents it.
  await registerAccessControl(app, {
    authMode: options.access?.authMode ?? "auto",
    limits: options.access?.limits ?? DEFAULT_LIMITS,
    redis: options.access?.redis ?? null,
    keyPrefix: options.access?.keyPrefix ?? "vulntriage",
    authenticator,
    log: options.ctx.log,
    adminPrefix: dashboard === "off" ? null : DASHBOARD_PATH,
  });
  app.addSchema(ApiKeySchema);
  app.addSchema(ErrorSchema);
  app.addSchema(ScanSchema);
  app.addSchema(FindingSchema);
  app.addSchema(FindingDetailSchema);
  app.addSchema(AnalysisProgressSchema);
  app.addSchema(AnalysisRetrySchema);
  app.addSchema(CveSchema);
  app.addSchema(ScanPageSchema);
  app.addSchema(FindingPageSchema);
  app.addSchema(SkippedSchema);
  app.addSchema(AnalysisCompletedSchema);
  app.addSchema(AnalysisFailedSchema);
  app.addSchema(AnalysisWaitingSchema);
  // Documentation only: what the upload's body is (the route reads raw bytes).
  app.addSchema(TrivyResultSchema);
  app.addSchema(TrivyReportSchema);
  app.addSchema(LegacyTrivyReportSchema);

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "vulntriage",
        description: "Trivy container-scan reports in, triaged and explained findings out.",
        version,
        // The repository's licence (package.json).
        license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
      },
      // Relative: the document is served by, and describes, the server it came from.
      servers: [{ url: "/", description: "The server this document was read from" }],
      tags: [
        { name: "scans", description: "Upload and read scans" },
        { name: "findings", description: "Vulnerability findings of a scan" },
        { name: "analysis", description: "LLM summaries, remediation steps and risk scores" },
        { name: "cve", description: "KEV, EPSS and NVD data of a vulnerability, shared by the fleet" },
        { name: "health", description: "Liveness of the service and its dependencies" },
        { name: "keys", description: "API keys and their scopes (scope admin)" },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", description: "Authorization: Bearer vt_…" },
          apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
        },
      },
    },
    transformObject: (document) =>
      "openapiObject" in document ? tidyForOpenApi30(document.openapiObject) : document.swaggerObject,
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) ?? `def-${i}`,
    },
  });
  if (options.docs !== false) {
    await app.register(swaggerUi, { routePrefix: "/docs", staticCSP: DOCS_CSP });
  }

  await app.register(healthRoutes, { ctx: options.ctx });
  await app.register(scansRoutes, { ctx: options.ctx, maxReportBytes: options.maxReportBytes });
  await app.register(findingsRoutes, { ctx: options.ctx });
  await app.register(analysisRoutes, { ctx: options.ctx });
  await app.register(keysRoutes, { ctx: options.ctx, authenticator });
  await app.register(cveRoutes, { ctx: options.ctx });
  const metricsAccess = options.metrics ?? "key";
  if (metricsAccess !== "off") await app.register(metricsRoutes, { metrics, access: metricsAccess });
  if (dashboard !== "off") await registerQueueDashboard(app, { queues, readOnly: dashboard === "read-only" });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
