import { ConfigError, loadConfig } from "@vulntriage/core";
import { createDatabase, ensureDatabase, migrateDatabase } from "@vulntriage/db";
import closeWithGrace from "close-with-grace";
import { buildApp } from "./app";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

const database = createDatabase(config.databaseUrl, { applicationName: "vulntriage-api" });
try {
  await ensureDatabase(config.databaseUrl);
  await migrateDatabase(database);
} catch (error) {
  console.error(`cannot prepare the database at DATABASE_URL: ${(error as Error).message}`);
  await database.close();
  process.exit(1);
}

const app = await buildApp({
  ctx: { database },
  maxReportBytes: config.maxReportBytes,
  logger: { level: config.logLevel },
});
app.addHook("onClose", async () => database.close());

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, "closing after an unexpected error");
  else app.log.info({ signal }, "shutting down");
  await app.close();
});

await app.listen({ host: config.host, port: config.port });
