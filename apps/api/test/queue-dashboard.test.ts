import { createAnalysisQueue, type Scope } from "@vulntriage/core";
import { createTestDatabase, deleteKeys, redisUrl } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_CSP } from "../src/plugins/security-headers.js";
import { startApiProcess } from "./api-process.js";
import { createTestKey, startTestApi, type TestApi } from "./helpers.js";

const prefix = `test-dashboard-${process.pid}-${Date.now()}`;
const queue = createAnalysisQueue({ redisUrl: redisUrl(), prefix, maxAttempts: 1, retryDelayMs: 10 });
const tokens = {} as Record<Scope, string>;
let on: TestApi;
let off: TestApi;

const basic = (token: string) => `Basic ${Buffer.from(`anyone:${token}`).toString("base64")}`;

async function get(api: TestApi, path: string, headers: Record<string, string> = {}) {
  const response = await api.app.inject({ method: "GET", url: path, headers });
  return response;
}

beforeAll(async () => {
  [on, off] = await Promise.all([
    startTestApi({ queue, analyzeOnIngest: false, access: { authMode: "required" }, queueDashboard: "on" }),
    startTestApi({ queue, analyzeOnIngest: false, access: { authMode: "required" } }),
  ]);
  for (const scope of ["read", "scans:write", "analysis:write", "admin"] as const) {
    tokens[scope] = await createTestKey(on.database, `dash-${scope.replace(":", "-")}`, [scope]);
  }
  await queue.queue.add("prepare-scan", { scanId: 1 });
});
afterAll(async () => {
  await Promise.all([on?.close(), off?.close()]);
  await queue.close();
  await deleteKeys(prefix);
});

describe("queue dashboard at /admin/queues", () => {
  it("should not exist unless QUEUE_DASHBOARD enables it", async () => {
    for (const path of ["/admin/queues", "/admin/queues/", "/admin/queues/api/queues"]) {
      const response = await get(off, path, { authorization: `Bearer ${tokens.admin}` });
      expect(response.statusCode, path).toBe(404);
      expect(response.json()).toMatchObject({ error: "not_found" });
    }
  });

  it("should put every one of its routes behind scope admin", async () => {
    const routes = on.app.printRoutes({ commonPrefix: false });
    expect(routes).toContain("/admin/queues");
    const page = await get(on, "/admin/queues", { authorization: `Bearer ${tokens.admin}` });
    expect(page.statusCode).toBe(200);
    const asset = /src="(static\/js\/main\.[0-9a-f]+\.js)"/.exec(page.body)?.[1] as string;
    const style = /href="(static\/css\/main\.[0-9a-f]+\.css)"/.exec(page.body)?.[1] as string;
    expect(asset).toBeDefined();
    const paths = [
      "/admin/queues",
      "/admin/queues/",
      "/admin/queues/queue/analysis",
      "/admin/queues/api/queues",
      "/admin/queues/api/redis/stats",
      `/admin/queues/${asset}`,
      `/admin/queues/${style}`,
      "/admin/queues/static/favicon-32x32.png",
      "/admin/queues/static/no-such-file.js",
    ];
    for (const path of paths) {
      const anonymous = await get(on, path);
      expect(anonymous.statusCode, path).toBe(401);
      expect(anonymous.json()).toMatchObject({ error: "unauthorized" });
      // A browser asks for credentials it can repeat on the page's own requests.
      expect(anonymous.headers["www-authenticate"]).toMatch(/^Basic realm="vulntriage queues"/);
      for (const scope of ["read", "scans:write", "analysis:write"] as const) {
        const refused = await get(on, path, { authorization: `Bearer ${tokens[scope]}` });
        expect(refused.statusCode, `${path} ${scope}`).toBe(403);
        expect(refused.json()).toMatchObject({ error: "forbidden" });
      }
      const wrong = await get(on, path, { authorization: basic("vt_nope_nope") });
      expect(wrong.statusCode, path).toBe(401);
    }
    const ok = await get(on, `/admin/queues/${asset}`, { authorization: basic(tokens.admin) });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers["content-type"]).toMatch(/javascript/);
    expect((await get(on, `/admin/queues/${style}`, { authorization: basic(tokens.admin) })).statusCode).toBe(
      200,
    );
    expect(
      (await get(on, "/admin/queues/static/no-such-file.js", { authorization: basic(tokens.admin) }))
        .statusCode,
    ).toBe(404);
  });

  it("should show the queues and their jobs to an admin, with a policy that lets the page load and no more", async () => {
    const page = await get(on, "/admin/queues", { authorization: basic(tokens.admin) });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
    expect(page.body).toContain('<base href="/admin/queues/"');
    // Everything the page loads is under the base path, on this origin, but the fonts stylesheet.
    const loads = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(loads.filter((l) => /^https?:/.test(l))).toEqual([
      expect.stringMatching(/^https:\/\/fonts\.googleapis\.com\//),
    ]);
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-eval|googleapis|\*/);
    const api = await get(on, "/admin/queues/api/queues", { authorization: basic(tokens.admin) });
    expect(api.statusCode).toBe(200);
    const names = (api.json() as { queues: { name: string; counts: Record<string, number> }[] }).queues.map(
      (q) => q.name,
    );
    expect(names.sort()).toEqual(["analysis", "enrichment"]);
    // The rest of the API keeps its own policy.
    const health = await get(on, "/health");
    expect(health.headers["content-security-policy"]).toBe("default-src 'none';frame-ancestors 'none'");
  });

  it("should take job actions from its own page only", async () => {
    const action = (headers: Record<string, string>) =>
      on.app.inject({
        method: "PUT",
        url: "/admin/queues/api/queues/analysis/pause",
        headers: { authorization: basic(tokens.admin), ...headers },
      });
    const forged = await action({ origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ error: "forbidden" });
    expect(await queue.queue.isPaused()).toBe(false);
    const own = await action({
      origin: "http://localhost:80",
      host: "localhost:80",
      "sec-fetch-site": "same-origin",
    });
    expect(own.statusCode).toBe(200);
    expect(await queue.queue.isPaused()).toBe(true);
    await queue.queue.resume();
  });

  it("should refuse job actions in read-only mode", async () => {
    const readOnly = await startTestApi({
      queue,
      analyzeOnIngest: false,
      access: { authMode: "required" },
      queueDashboard: "read-only",
    });
    try {
      const token = await createTestKey(readOnly.database, "ro-admin", ["admin"]);
      const paused = await readOnly.app.inject({
        method: "PUT",
        url: "/admin/queues/api/queues/analysis/pause",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(paused.statusCode).toBeGreaterThanOrEqual(400);
      expect(await queue.queue.isPaused()).toBe(false);
      expect(
        (
          await readOnly.app.inject({
            url: "/admin/queues/api/queues",
            headers: { authorization: `Bearer ${token}` },
          })
        ).statusCode,
      ).toBe(200);
    } finally {
      await readOnly.close();
    }
  });
});

describe("the queue dashboard of the compiled API (QUEUE_DASHBOARD=on)", () => {
  it("should serve its page and static files to admin only, over HTTP from the built process", async () => {
    const database = await createTestDatabase();
    const admin = await createTestKey(database, "proc-admin", ["admin"]);
    const reader = await createTestKey(database, "proc-read", ["read"]);
    const api = await startApiProcess(database.url, { AUTH_MODE: "required", QUEUE_DASHBOARD: "on" });
    const fetchPath = (path: string, authorization?: string) =>
      fetch(`${api.url}${path}`, authorization ? { headers: { authorization } } : {});
    try {
      const anonymous = await fetchPath("/admin/queues");
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic realm="vulntriage queues"/);
      expect((await fetchPath("/admin/queues", `Bearer ${reader}`)).status).toBe(403);
      const page = await fetchPath("/admin/queues", basic(admin));
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
      const asset = /src="(static\/js\/main\.[0-9a-f]+\.js)"/.exec(await page.text())?.[1];
      expect(asset).toBeDefined();
      const script = await fetchPath(`/admin/queues/${asset}`, basic(admin));
      expect(script.status).toBe(200);
      expect(script.headers.get("content-type")).toMatch(/javascript/);
      const queues = await fetchPath("/admin/queues/api/queues", `Bearer ${admin}`);
      expect(queues.status).toBe(200);
      const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((q) => q.name);
      expect(names.sort()).toEqual(["analysis", "enrichment"]);
    } finally {
      await api.stop();
      await database.drop();
    }
  });
});
