import {
  analysisSettings,
  ConfigError,
  checkOllamaModel,
  createAnalysisQueue,
  createOllamaAnalyzer,
  loadConfig,
} from "@vulntriage/core";
import { createDatabase, ensureDatabase, migrateDatabase } from "@vulntriage/db";
import { pino } from "pino";
import { startAnalysisWorker } from "./analysis-worker";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

const log = pino({ level: config.logLevel, base: { process: "worker" } });
const database = createDatabase(config.databaseUrl, { applicationName: "vulntriage-worker" });
try {
  await ensureDatabase(config.databaseUrl);
  await migrateDatabase(database);
} catch (error) {
  log.fatal({ err: (error as Error).message }, "cannot prepare the database at DATABASE_URL");
  await database.close();
  process.exit(1);
}

const queue = createAnalysisQueue({
  redisUrl: config.redisUrl,
  prefix: config.queuePrefix,
  maxAttempts: config.llmMaxAttempts,
  retryDelayMs: config.llmRetryDelayMs,
});
const ctx = {
  database,
  queue,
  analysis: analysisSettings({
    model: config.ollamaModel,
    analyzeOnIngest: config.analyzeOnIngest,
    analyzeMinSeverity: config.analyzeMinSeverity,
  }),
  log,
};
const running = startAnalysisWorker({
  ctx,
  analyzer: createOllamaAnalyzer({ host: config.ollamaHost, timeoutMs: config.llmTimeoutMs }),
  redisUrl: config.redisUrl,
  prefix: config.queuePrefix,
  concurrency: config.workerConcurrency,
  lockMs: config.workerLockMs,
  reconcileIntervalMs: config.reconcileIntervalMs,
  processingStaleMs: config.llmTimeoutMs + 2 * config.workerLockMs,
  shutdownTimeoutMs: config.workerShutdownTimeoutMs,
});
log.info(
  { model: config.ollamaModel, ollama: config.ollamaHost, concurrency: config.workerConcurrency },
  "worker started",
);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "worker shutting down");
    await running.close();
    await queue.close();
    await database.close();
    process.exit(0);
  });
}
