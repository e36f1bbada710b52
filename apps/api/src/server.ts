import { analysisSettings, ConfigError, createAnalysisQueue, loadConfig } from "@vulntriage/core";
import { createDatabase, ensureDatabase, migrateDatabase } from "@vulntriage/db";
import closeWithGrace from "close-with-grace";
import { pino } from "pino";
import { buildApp } from "./app";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

const log = pino({ level: config.logLevel });
const database = createDatabase(config.databaseUrl, { applicationName: "vulntriage-api" });
try {
  await ensureDatabase(config.databaseUrl);
  await migrateDatabase(database);
} catch (error) {
  console.error(`cannot prepare the database at DATABASE_URL: ${(error as Error).message}`);
  await database.close();
  process.exit(1);
}
const queue = createAnalysisQueue({
  redisUrl: config.redisUrl,
  prefix: config.queuePrefix,
  maxAttempts: config.llmMaxAttempts,
  retryDelayMs: config.llmRetryDelayMs,
});

const app = await buildApp({
  ctx: {
    database,
    queue,
    analysis: analysisSettings({
      model: config.ollamaModel,
      analyzeOnIngest: config.analyzeOnIngest,
      analyzeMinSeverity: config.analyzeMinSeverity,
    }),
    log,
  },
  maxReportBytes: config.maxReportBytes,
  loggerInstance: log,
});
app.addHook("onClose", async () => {
  await queue.close();
  await database.close();
});

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, "closing after an unexpected error");
  else app.log.info({ signal }, "shutting down");
  await app.close();
});

await app.listen({ host: config.host, port: config.port });
