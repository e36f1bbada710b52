import {
  type AnalysisQueue,
  analysisSettings,
  type HttpConfig,
  type Severity,
  silentLogger,
} from "@vulntriage/core";
import { createTestDatabase, listen, type TestDatabase } from "@vulntriage/test-utils";
import { type App, type AppOptions, buildApp } from "../src/app.js";

export type TestApi = {
  url: string;
  app: App;
  database: TestDatabase;
  close: () => Promise<void>;
};

const TEST_MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** The real API on a random port, over a database of this test file's own. */
export type TestApiOptions = {
  maxReportBytes?: number;
  queue?: AnalysisQueue;
  model?: string;
  analyzeOnIngest?: boolean;
  analyzeMinSeverity?: Severity;
  access?: AppOptions["access"];
  authCacheMs?: number;
  http?: Partial<HttpConfig>;
  loggerInstance?: AppOptions["loggerInstance"];
  metrics?: AppOptions["metrics"];
  queueDashboard?: AppOptions["queueDashboard"];
};

/** Limits no test reaches, for the tests that are not about limits. */
const UNLIMITED = {
  uploadsPerMinute: 1_000_000,
  readsPerMinute: 1_000_000,
  refreshPerMinute: 1_000_000,
};

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  const analysis = analysisSettings({
    model: options.model ?? "llama3.2:3b",
    analyzeOnIngest: options.analyzeOnIngest ?? Boolean(options.queue),
    analyzeMinSeverity: options.analyzeMinSeverity ?? "UNKNOWN",
  });
  const app = await buildApp({
    ctx: { db: database.db, analysis, queue: options.queue, log: silentLogger },
    maxReportBytes: options.maxReportBytes ?? TEST_MAX_REPORT_BYTES,
    // Tests upload and read far faster than any limit allows; the limits have tests of their own.
    access: { limits: UNLIMITED, ...options.access },
    authCacheMs: options.authCacheMs,
    ...(options.http ? { http: options.http } : {}),
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.queueDashboard ? { queueDashboard: options.queueDashboard } : {}),
  });
  const url = await listen(app);
  return {
    url,
    app,
    database,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

export async function uploadReport(
  url: string,
  body: Buffer | string,
  options: { imageName?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const query = options.imageName === undefined ? "" : `?image_name=${encodeURIComponent(options.imageName)}`;
  const response = await fetch(`${url}/api/container/scans${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // left as text: the assertion that follows shows what came back
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}
