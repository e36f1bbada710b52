import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  type AnalysisQueue,
  analysisSettings,
  createApiKey,
  type HttpConfig,
  type Scope,
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

/** An API key's token, made in the test's own database as `npm run keys -- create` makes one. */
export async function createTestKey(database: TestDatabase, name: string, scopes: Scope[]): Promise<string> {
  const ctx = { db: database.db, log: silentLogger };
  return (
    await createApiKey({ ctx: ctx as Parameters<typeof createApiKey>[0]["ctx"], input: { name, scopes } })
  ).token;
}

const TSC = new URL("../../../node_modules/typescript/bin/tsc", import.meta.url).pathname;

/**
 * `tsc --strict` over one ESM program as a user's project would compile it (nodenext, Node's types):
 * answers what tsc printed, "" when it compiled. `outDir` emits JavaScript there; without it, nothing.
 */
export async function compileStrict(
  source: string,
  options: { cwd: string; outDir?: string; typeRoots?: string },
): Promise<string> {
  const args = [
    TSC,
    "--strict",
    "--target",
    "es2022",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
  ];
  if (options.typeRoots) args.push("--typeRoots", options.typeRoots);
  args.push("--types", "node");
  args.push(...(options.outDir ? ["--outDir", options.outDir] : ["--noEmit"]), source);
  const compiled = await promisify(execFile)(process.execPath, args, { cwd: options.cwd }).catch(
    (error: { stdout: string; stderr: string }) => error,
  );
  return compiled.stdout + compiled.stderr;
}
