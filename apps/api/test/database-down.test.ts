import { analysisSettings, silentLogger } from "@vulntriage/core";
import { createDatabase } from "@vulntriage/db";
import { listen, parsePrometheusText, readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildApp } from "../src/app.js";

// Nothing listens on port 1: every connection attempt is refused, as with a stopped PostgreSQL.
const database = createDatabase("postgres://postgres@127.0.0.1:1/vulntriage", { maxConnections: 2 });
let app: App;
let url: string;

beforeAll(async () => {
  const analysis = analysisSettings({ model: "m", analyzeOnIngest: false, analyzeMinSeverity: "UNKNOWN" });
  app = await buildApp({
    ctx: { db: database.db, analysis, log: silentLogger },
    maxReportBytes: 64 * 1024 * 1024,
    metrics: "public",
  });
  url = await listen(app);
});

afterAll(async () => {
  await app.close();
  await database.close();
});

const UNAVAILABLE = { error: "dependency_unavailable", message: "the database is not answering; try again" };

describe("the API with its database down", () => {
  it.each([
    ["GET", "/api/container/scans"],
    ["GET", "/api/container/scans/ghcr.io%2Forg%2Fapp%3A1.0"],
    ["GET", "/api/container/scans/7/findings"],
    ["GET", "/api/container/findings/7"],
    ["GET", "/api/llm/analyze/container/7"],
    ["POST", "/api/container/scans"],
  ])("should answer %s %s with 503 and no internals", async (method, path) => {
    const response = await fetch(`${url}${path}`, {
      method,
      ...(method === "POST"
        ? {
            headers: { "content-type": "application/json" },
            body: readTrivyFixture("securecodebox/main/juice-shop-v12.10.2.json"),
          }
        : {}),
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual(UNAVAILABLE);
  });

  it("should count an upload the database could not store as failed, not refused or busy", async () => {
    const before = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    const failedBefore = before.value("vulntriage_uploads_total", { outcome: "failed" }) as number;
    const response = await fetch(`${url}/api/container/scans`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: readTrivyFixture("securecodebox/main/juice-shop-v12.10.2.json"),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBeNull();
    const after = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    expect(after.value("vulntriage_uploads_total", { outcome: "failed" })).toBe(failedBefore + 1);
    expect(after.value("vulntriage_uploads_total", { outcome: "busy" })).toBe(0);
    expect(after.value("vulntriage_uploads_total", { outcome: "refused" })).toBe(0);
    expect(after.value("vulntriage_uploads_total", { outcome: "created" })).toBe(0);
  });

  it("should say on /health which dependency is down, and nothing of why", async () => {
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: "dependency_unavailable",
      message: "not answering: postgres",
      checks: { postgres: "unavailable" },
    });
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:1\b|connect/);
  });
});
