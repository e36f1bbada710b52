import type { Metrics, MetricsConfig } from "@vulntriage/core";
import type { FastifyPluginAsync } from "fastify";

export type MetricsRoutesOptions = { metrics: Metrics; access: Exclude<MetricsConfig["access"], "off"> };

/**
 * Prometheus's scrape target. Not in the OpenAPI document: it is for the monitoring system, its
 * format is Prometheus's own, and the generated client has no use for it.
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { metrics, access }) => {
  app.get(
    "/metrics",
    {
      config: { access: access === "public" ? "public" : { scope: "read", bucket: "reads" } },
      schema: { hide: true },
    },
    async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
};
