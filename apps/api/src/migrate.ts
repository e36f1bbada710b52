import { ConfigError, loadConfig } from "@vulntriage/core/config";
import { createDatabase, ensureDatabase, migrateDatabase } from "@vulntriage/db";

try {
  const config = loadConfig();
  const created = await ensureDatabase(config.databaseUrl);
  const database = createDatabase(config.databaseUrl, { maxConnections: 2 });
  try {
    await migrateDatabase(database);
    console.log(`database ${created ? "created and " : ""}up to date`);
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(
    error instanceof ConfigError ? error.message : `migration failed: ${(error as Error).message}`,
  );
  process.exit(1);
}
