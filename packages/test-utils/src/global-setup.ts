import { randomBytes } from "node:crypto";
import { createDatabase, migrateDatabase, quoteIdentifier } from "@vulntriage/db";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { adminUrl, databaseUrl } from "./database-urls.js";
import "./provided-context.js";

/** Migrates one template database per test run; every test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function setup(project: TestProject) {
  const template = `vt_template_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`create database ${quoteIdentifier(template)}`);
  } finally {
    await admin.end();
  }
  const database = createDatabase(databaseUrl(template), { maxConnections: 2 });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
  project.provide("templateDatabase", template);

  return async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl() });
    await cleanup.connect();
    try {
      await cleanup.query(`drop database if exists ${quoteIdentifier(template)} with (force)`);
    } finally {
      await cleanup.end();
    }
  };
}
