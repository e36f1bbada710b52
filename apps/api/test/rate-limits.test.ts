import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { analysisSettings, createApiKey } from "@vulntriage/core";
import { createTestDatabase, deleteKeys, redisUrl, type TestDatabase } from "@vulntriage/test-utils";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, buildApp } from "../src/app.js";

// Limits per key (per address without one), counted in the real Redis, shared by API replicas.
const LIMITS = { uploadsPerMinute: 2, readsPerMinute: 3, refreshPerMinute: 1 };

let database: TestDatabase;
const apps: App[] = [];
const connections: Redis[] = [];
const prefixes: string[] = [];
const lines: string[] = [];

const logger = () =>
  pino(
    { level: "trace" },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
const recorded = { warn: [] as string[], info: [] as string[] };
const ctxLog = {
  info: (_o: object, m: string) => recorded.info.push(m),
  warn: (_o: object, m: string) => recorded.warn.push(m),
  error: () => {},
};

async function app(options: { authMode: "required" | "off"; prefix?: string; redis?: Redis }): Promise<App> {
  const prefix = options.prefix ?? `test-limits-${randomBytes(4).toString("hex")}`;
  prefixes.push(prefix);
  const redis =
    options.redis ?? new Redis(redisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  connections.push(redis);
  const built = await buildApp({
    ctx: {
      db: database.db,
      analysis: analysisSettings({ model: "m", analyzeOnIngest: false, analyzeMinSeverity: "UNKNOWN" }),
      log: ctxLog,
    },
    maxReportBytes: 1024 * 1024,
    loggerInstance: logger(),
    access: { authMode: options.authMode, limits: LIMITS, redis, keyPrefix: prefix },
    authCacheMs: 0,
  });
  await built.ready();
  apps.push(built);
  return built;
}

async function token(name: string): Promise<string> {
  const ctx = { db: database.db, log: ctxLog } as never;
  return (await createApiKey({ ctx, input: { name, scopes: ["read", "scans:write", "analysis:write"] } }))
    .token;
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const a of apps) await a.close();
  for (const c of connections) c.disconnect();
  for (const p of prefixes) await deleteKeys(p);
  await database?.drop();
});

const get = (a: App, url: string, headers: Record<string, string> = {}, remoteAddress = "127.0.0.1") =>
  a.inject({ method: "GET", url, headers, remoteAddress });

describe("rate limits", () => {
  it("allows each key its reads a minute across every read route, then answers 429 with Retry-After", async () => {
    const api = await app({ authMode: "required" });
    const [a, b] = [await token("reader-a"), await token("reader-b")];
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const urls = ["/api/container/scans", "/api/cve/CVE-2021-44228", "/api/container/findings/1"];
    for (const url of urls) expect((await get(api, url, bearer(a))).statusCode).not.toBe(429);
    const refused = await get(api, "/api/container/scans", bearer(a));
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({
      error: "rate_limited",
      message: expect.stringMatching(/3 reads a minute/),
    });
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another key has its own count.
    expect((await get(api, "/api/container/scans", bearer(b))).statusCode).toBe(200);
    // Open routes are never limited.
    for (let i = 0; i < 5; i++) expect((await get(api, "/health")).statusCode).not.toBe(429);
  });

  it("counts uploads and refreshes apart from reads, each with its own limit", async () => {
    const api = await app({ authMode: "required" });
    const headers = { authorization: `Bearer ${await token("writer")}`, "content-type": "application/json" };
    const upload = () => api.inject({ method: "POST", url: "/api/container/scans", headers, payload: "{}" });
    expect((await upload()).statusCode).toBe(422);
    expect((await upload()).statusCode).toBe(422);
    expect((await upload()).statusCode).toBe(429);
    const refresh = () => get(api, "/api/llm/analyze/container/424242?refresh=true", headers);
    expect((await refresh()).statusCode).toBe(404);
    expect((await refresh()).statusCode).toBe(429);
    // A plain read of the same route counts as a read, still allowed.
    expect((await get(api, "/api/llm/analyze/container/424242", headers)).statusCode).toBe(404);
  });

  it("counts by address when no key is used, and shares the count between API replicas", async () => {
    const prefix = `test-limits-${randomBytes(4).toString("hex")}`;
    const [one, two] = [await app({ authMode: "off", prefix }), await app({ authMode: "off", prefix })];
    for (const replica of [one, two, one] as App[])
      expect((await get(replica, "/api/container/scans", {}, "10.0.0.1")).statusCode).toBe(200);
    expect((await get(two as App, "/api/container/scans", {}, "10.0.0.1")).statusCode).toBe(429);
    expect((await get(two as App, "/api/container/scans", {}, "10.0.0.2")).statusCode).toBe(200);
  });

  it("fails open while Redis is unreachable, and says so once", async () => {
    const down = new Redis("redis://127.0.0.1:1", {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 200,
    });
    const api = await app({ authMode: "off", redis: down });
    for (let i = 0; i < 8; i++) expect((await get(api, "/api/container/scans")).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recorded.warn.filter((m) => /rate limits are off/.test(m))).toHaveLength(1);
  });

  it("writes no token, nor any part of its secret, to any log line", async () => {
    const api = await app({ authMode: "required" });
    const valid = await token("logged");
    const secret = valid.slice(-48);
    await get(api, "/api/container/scans", { authorization: `Bearer ${valid}` });
    await get(api, "/api/container/scans", { "x-api-key": valid });
    await get(api, "/api/container/scans", { authorization: `Bearer ${valid}x` });
    await get(api, "/api/keys", { authorization: `Bearer ${valid}` });
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain(secret.slice(0, 24));
    }
  });
});
