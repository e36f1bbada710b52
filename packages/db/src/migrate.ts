import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type { DatabaseHandle } from "./client.js";

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../drizzle", import.meta.url));

// Any fixed number: it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK = 7_294_118_301;

/** Applies pending migrations; an API and a worker starting together take turns. */
export async function migrateDatabase(database: DatabaseHandle): Promise<void> {
  const lockHolder = await database.pool.connect();
  try {
    await lockHolder.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await migrate(database.db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await lockHolder.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    lockHolder.release();
  }
}
