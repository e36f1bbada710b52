import { analysisSettings, silentLogger } from "@vulntriage/core";
import { createDatabase } from "@vulntriage/db";
import { buildApp } from "./app.js";

/** The OpenAPI document as the code describes it; building the app opens no connection. */
export async function renderOpenApi(): Promise<string> {
  const database = createDatabase("postgres://openapi@127.0.0.1:1/unused", { maxConnections: 1 });
  const analysis = analysisSettings({ model: "any", analyzeOnIngest: false, analyzeMinSeverity: "UNKNOWN" });
  const app = await buildApp({
    ctx: { db: database.db, analysis, log: silentLogger },
    maxReportBytes: 64 * 1024 * 1024,
  });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await database.close();
  }
}
