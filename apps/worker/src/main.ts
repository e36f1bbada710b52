import {
  checkOllamaServers,
  createOllamaPool,
  enrichmentSources,
  loadConfigOrExit,
  loggerOptions,
  openServiceContext,
} from "@vulntriage/core";
import { Redis } from "ioredis";
import { pino } from "pino";
import { startAnalysisWorker } from "./analysis-worker.js";
import { startEnrichmentWorker } from "./enrichment-worker.js";
import { startMetricsServer } from "./metrics-server.js";

const config = loadConfigOrExit();
const log = pino(loggerOptions(config.logLevel, { process: "worker" }));
const { ctx, close } = await openServiceContext(config, "worker", log);
// Unset port: no server. A port that cannot be had ends the start-up, like any other bad
// setting, before a worker takes a job it would then leave stalled.
const metricsServer =
  config.metrics.workerPort === null
    ? null
    : await startMetricsServer({
        metrics: ctx.metrics,
        host: config.metrics.workerHost,
        port: config.metrics.workerPort,
      }).catch(async (error: NodeJS.ErrnoException) => {
        log.fatal(
          { host: config.metrics.workerHost, port: config.metrics.workerPort, code: error.code },
          `WORKER_METRICS_PORT: cannot listen on ${config.metrics.workerHost}:${config.metrics.workerPort} (${
            error.code === "EADDRINUSE" ? "the port is in use" : error.message
          }); set another port, or unset it to serve no metrics`,
        );
        await close();
        process.exit(1);
      });
const running = startAnalysisWorker({
  ctx,
  analyzer: createOllamaPool({
    servers: config.ollamaServers,
    timeoutMs: config.llmTimeoutMs,
    log,
    metrics: ctx.metrics,
  }),
  redisUrl: config.redisUrl,
  prefix: config.queuePrefix,
  concurrency: config.workerConcurrency,
  lockMs: config.workerLockMs,
  reconcileIntervalMs: config.reconcileIntervalMs,
  processingStaleMs: config.llmTimeoutMs + 2 * config.workerLockMs,
  shutdownTimeoutMs: config.workerShutdownTimeoutMs,
});
// KEV's catalogue and NVD's rate limit, shared by the fleet's workers. Commands fail after a short
// retry rather than queue while Redis is away: the enrichment records an error and tries later.
const shared = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
shared.on("error", () => {}); // the queue's own connections log Redis outages
const enriching = startEnrichmentWorker({
  ctx,
  sources: enrichmentSources(config.enrichment, { redis: shared, keyPrefix: config.queuePrefix }),
  redisUrl: config.redisUrl,
  prefix: config.queuePrefix,
  concurrency: 2,
  lockMs: config.workerLockMs,
  shutdownTimeoutMs: config.workerShutdownTimeoutMs,
});
log.info(
  {
    enrichment: config.enrichment.mode,
    metrics: metricsServer?.url ?? "off",
    model: config.ollamaModel,
    ollama: config.ollamaServers.map((s) => `${s.url}*${s.concurrency}`),
    concurrency: config.workerConcurrency,
  },
  "worker started",
);
// Says once, at start, which servers answer and have the model; the worker keeps running either
// way, since a server may come up or pull the model later.
void checkOllamaServers({ servers: config.ollamaServers, model: config.ollamaModel }).then((checks) => {
  for (const check of checks) {
    if (check.problem) log.warn({ ollama: check.url, model: config.ollamaModel }, check.problem);
    else
      log.info({ ollama: check.url, model: config.ollamaModel }, "Ollama server answers and has the model");
  }
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "worker shutting down");
    await Promise.all([running.close(), enriching.close(), metricsServer?.close()]);
    shared.disconnect();
    await close();
    process.exit(0);
  });
}
