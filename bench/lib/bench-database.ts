import { createDatabase, type DatabaseHandle, migrateDatabase, quoteIdentifier } from "@vulntriage/db";
import pg from "pg";

const BASE = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export function benchDatabaseUrl(name: string): string {
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A freshly created and migrated database for one benchmark run. */
export async function freshDatabase(name: string): Promise<DatabaseHandle & { drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: BASE });
  await admin.connect();
  await admin.query(`drop database if exists ${quoteIdentifier(name)} with (force)`);
  await admin.query(`create database ${quoteIdentifier(name)}`);
  await admin.end();
  const handle = createDatabase(benchDatabaseUrl(name), { maxConnections: 4 });
  await migrateDatabase(handle);
  return {
    ...handle,
    drop: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: BASE });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${quoteIdentifier(name)} with (force)`);
      await cleanup.end();
    },
  };
}
