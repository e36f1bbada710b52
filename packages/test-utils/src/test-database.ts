import { randomBytes } from "node:crypto";
import { createDatabase, type DatabaseHandle, quoteIdentifier } from "@vulntriage/db";
import pg from "pg";
import { inject } from "vitest";
import { adminUrl, databaseUrl } from "./database-urls.js";
import "./provided-context.js";

export type TestDatabase = DatabaseHandle & {
  name: string;
  url: string;
  /** Closes the pool and drops the database. */
  drop: () => Promise<void>;
};

/** A fresh, migrated database of this file's own, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `vt_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(
    `create database ${quoteIdentifier(name)} template ${quoteIdentifier(inject("templateDatabase"))}`,
  );
  const url = databaseUrl(name);
  const handle = createDatabase(url, { maxConnections: 10, applicationName: "vulntriage-test" });
  return {
    ...handle,
    name,
    url,
    drop: async () => {
      await handle.close();
      await adminQuery(`drop database if exists ${quoteIdentifier(name)} with (force)`);
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Row counts of the tables an upload writes: "no trace" assertions compare these. */
export async function countRows(
  database: DatabaseHandle,
): Promise<{ scans: number; findings: number; reports: number }> {
  const { rows } = await database.pool.query<{ scans: number; findings: number; reports: number }>(
    `select (select count(*) from container_scans)::int as scans,
            (select count(*) from container_findings)::int as findings,
            (select count(*) from container_scan_reports)::int as reports`,
  );
  return rows[0] as { scans: number; findings: number; reports: number };
}
