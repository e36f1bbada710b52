import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import { DomainError } from "@vulntriage/core";
import type { Queue } from "bullmq";
import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import { describeError } from "./error-handler.js";
import { DASHBOARD_CSP } from "./security-headers.js";

export const DASHBOARD_PATH = "/admin/queues";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

// Basic credentials are sent by the browser on every request to the dashboard, whoever's page
// started it: a job action (retry, clean, obliterate) must come from the dashboard's own page.
function crossSite(request: FastifyRequest): boolean {
  const site = request.headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return true;
  const origin = request.headers.origin;
  if (typeof origin !== "string") return false;
  try {
    // Both through URL, which drops a default port either may or may not name.
    return new URL(origin).host !== new URL(`${request.protocol}://${request.host}`).host;
  } catch {
    return true;
  }
}

/**
 * bull-board at /admin/queues. Its routes get scope admin from the access control's onRoute hook
 * (AccessControlOptions.adminPrefix); errors, ours included, answer in the API's error body.
 */
export async function registerQueueDashboard(
  app: FastifyInstance,
  options: { queues: Queue[]; readOnly: boolean },
): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook("onRequest", async (request) => {
      if (!SAFE_METHODS.has(request.method) && crossSite(request)) {
        throw new DomainError("forbidden", "queue actions are accepted from the dashboard's own page only");
      }
    });
    scope.addHook("onSend", async (_request, reply, payload) => {
      reply.header("content-security-policy", DASHBOARD_CSP);
      return payload;
    });
    const adapter = new FastifyAdapter();
    adapter.setBasePath(DASHBOARD_PATH);
    createBullBoard({
      queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: options.readOnly })),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: "vulntriage" } },
    });
    // After createBullBoard, which sets its own: that one would answer our 401 as a 500.
    adapter.setErrorHandler((error) => {
      const { status, body } = describeError(error as FastifyError, 0);
      return { status: status as 500, body };
    });
    await scope.register(adapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
