import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { checkHealth, type ServiceContext } from "@vulntriage/core";
import { Type } from "typebox";

export type HealthRoutesOptions = { ctx: ServiceContext };

const Checks = Type.Record(Type.String(), Type.Enum(["ok", "unavailable"]), {
  description: "Each dependency: ok or unavailable (the reason is logged at debug, never shown)",
});

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { ctx }) => {
  app.get(
    "/health",
    {
      config: { access: "public" },
      schema: {
        operationId: "getHealth",
        // Open to everyone: no key is asked for.
        security: [],
        tags: ["health"],
        summary: "200 only when every dependency answers",
        description:
          "Pings PostgreSQL (over a connection of its own) and Redis; open to everyone, and never shows why a " +
          "dependency is down (that is logged at debug).",
        response: {
          200: Type.Object(
            { status: Type.Literal("ok"), checks: Checks },
            { description: "PostgreSQL and Redis answer" },
          ),
          503: Type.Object(
            { error: Type.String(), message: Type.String(), checks: Checks },
            { description: "A dependency does not answer; `checks` names which" },
          ),
        },
      },
    },
    async (_request, reply) => {
      const health = await checkHealth({ ctx });
      if (health.ok) return { status: "ok" as const, checks: health.checks };
      return reply.status(503).send({
        error: "dependency_unavailable",
        message: `not answering: ${Object.keys(health.checks)
          .filter((k) => health.checks[k] !== "ok")
          .join(", ")}`,
        checks: health.checks,
      });
    },
  );
};
