import {
  failureSummary,
  listApiKeys,
  loadConfigOrExit,
  loggerOptions,
  openServiceContext,
} from "@vulntriage/core";
import closeWithGrace from "close-with-grace";
import { Redis } from "ioredis";
import { pino } from "pino";
import { buildApp } from "./app.js";
import { logAuthMode } from "./plugins/auth-mode-log.js";

const config = loadConfigOrExit();
const log = pino(loggerOptions(config.logLevel));
const { ctx, close } = await openServiceContext(config, "api", log);

// The rate limits' counters, shared by every API replica. No offline queue: while Redis is away a
// count fails at once and the limit lets the request through (fail open), rather than holding it.
const limitsRedis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
const app = await buildApp({
  ctx,
  maxReportBytes: config.maxReportBytes,
  loggerInstance: log,
  access: {
    authMode: config.authMode,
    limits: config.rateLimits,
    redis: limitsRedis,
    keyPrefix: config.queuePrefix,
  },
  docs: config.docs,
  http: config.http,
  metrics: config.metrics.access,
  queueDashboard: config.queueDashboard,
});
app.addHook("onClose", async () => {
  limitsRedis.disconnect();
  await close();
});
logAuthMode(app.log, config.authMode, (await listApiKeys({ ctx })).length > 0);
// A keep-alive client whose upload finishes during the shutdown would otherwise hold its idle
// socket open, and the server with it, until the grace runs out.
let closing = false;
app.addHook("preClose", async () => {
  closing = true;
});
app.addHook("onSend", async (_request, reply) => {
  if (closing) reply.header("connection", "close");
});

// SIGTERM stops accepting connections, lets in-flight uploads finish (they hold a parse thread and
// a COPY) for up to SHUTDOWN_GRACE_MS, then closes the pools; past the grace the process exits 1.
closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
  if (err) {
    app.log.error({ failure: failureSummary(err) }, "closing after an unexpected error");
    app.log.debug({ err }, "unexpected error details");
  } else app.log.info({ signal }, "shutting down");
  await app.close();
});

await app.listen({ host: config.host, port: config.port });
