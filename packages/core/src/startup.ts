import { createDatabase, ensureDatabase, migrateDatabase } from "@vulntriage/db";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { analysisSettings, type Logger, type ServiceContext } from "./context.js";
import { createAnalysisQueue } from "./jobs.js";
import { createMetrics } from "./metrics.js";
import { createParseThreads } from "./scans/parse-threads.js";
import { createUploadGate } from "./scans/upload-gate.js";

/** Reads the environment once; a bad value ends the process with every problem named. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

/**
 * What the API and the worker both stand on: a migrated database (created if missing), the
 * queue producer and the analysis settings. Exits with a clear message when PostgreSQL cannot be
 * prepared; Redis may come later.
 */
export async function openServiceContext(
  config: Config,
  name: string,
  log: Logger,
): Promise<{ ctx: Required<ServiceContext>; close: () => Promise<void> }> {
  const database = createDatabase(config.databaseUrl, { applicationName: `vulntriage-${name}` });
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
  const analysis = analysisSettings({
    model: config.ollamaModel,
    analyzeOnIngest: config.analyzeOnIngest,
    analyzeMinSeverity: config.analyzeMinSeverity,
    // Offline nothing will come: waiting would only delay the analysis.
    enrichmentWaitMs: config.enrichment.mode === "online" ? config.enrichment.waitMs : 0,
  });
  // Threads start with the first upload; a worker process never starts any.
  const threads = createParseThreads(config.maxConcurrentUploads);
  const uploads = createUploadGate({
    maxConcurrent: config.maxConcurrentUploads,
    waitMs: config.uploadWaitMs,
    parser: threads.parse,
    closeParser: threads.close,
  });
  // One connection is enough for `select 1`, and it never waits behind uploads and reads.
  const health = createDatabase(config.databaseUrl, {
    maxConnections: 1,
    applicationName: `vulntriage-${name}-health`,
  });
  const metrics = createMetrics({ queues: [queue.queue, queue.enrichmentQueue] });
  return {
    ctx: { db: database.db, queue, analysis, log, uploads, healthDb: health.db, metrics },
    close: async () => {
      await uploads.close();
      await queue.close();
      await Promise.all([database.close(), health.close()]);
    },
  };
}
