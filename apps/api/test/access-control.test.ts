import { createApiKey, SCOPES, type Scope } from "@vulntriage/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./helpers.js";

// Every route against every scope, and the ways a key stops working.
type Route = { method: "GET" | "POST" | "DELETE"; url: string; needs: Scope | "public"; body?: unknown };

const ROUTES: Route[] = [
  { method: "POST", url: "/api/container/scans", needs: "scans:write", body: {} },
  { method: "GET", url: "/api/container/scans", needs: "read" },
  { method: "GET", url: "/api/container/scans/img", needs: "read" },
  { method: "GET", url: "/api/scans/1", needs: "read" },
  { method: "GET", url: "/api/container/scans/1/findings", needs: "read" },
  { method: "GET", url: "/api/container/scans/1/analysis", needs: "read" },
  { method: "GET", url: "/api/container/findings/1", needs: "read" },
  { method: "GET", url: "/api/llm/analyze/container/1", needs: "read" },
  { method: "GET", url: "/api/llm/analyze/container/1?refresh=true", needs: "analysis:write" },
  { method: "POST", url: "/api/llm/analyze/retry", needs: "analysis:write", body: { status: "failed" } },
  { method: "GET", url: "/api/cve/CVE-2021-44228", needs: "read" },
  { method: "POST", url: "/api/keys", needs: "admin", body: { name: "made-in-table", scopes: ["read"] } },
  { method: "GET", url: "/api/keys", needs: "admin" },
  { method: "DELETE", url: "/api/keys/999999", needs: "admin" },
  { method: "GET", url: "/health", needs: "public" },
  { method: "GET", url: "/docs/json", needs: "public" },
];

let api: TestApi;
const tokens = {} as Record<Scope, string>;

async function call(route: Route, headers: Record<string, string> = {}, remoteAddress?: string) {
  const response = await api.app.inject({
    method: route.method,
    url: route.url,
    headers: { ...(route.body ? { "content-type": "application/json" } : {}), ...headers },
    ...(route.body ? { payload: JSON.stringify(route.body) } : {}),
    ...(remoteAddress ? { remoteAddress } : {}),
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

beforeAll(async () => {
  api = await startTestApi({ access: { authMode: "required" }, authCacheMs: 0 });
  const ctx = { db: api.database.db, log: { info() {}, warn() {}, error() {} } } as never;
  for (const scope of SCOPES) {
    tokens[scope] = (
      await createApiKey({ ctx, input: { name: `only-${scope.replace(":", "-")}`, scopes: [scope] } })
    ).token;
  }
});
afterAll(async () => {
  await api?.close();
});

describe("scopes on every route", () => {
  it("covers every operation of the OpenAPI document", async () => {
    const spec = api.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const covered = new Set(
      ROUTES.filter((r) => r.url.startsWith("/api")).map((r) => {
        const path = r.url.split("?")[0] as string;
        const template = Object.keys(spec.paths).find((p) =>
          new RegExp(`^${p.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path),
        );
        return `${r.method} ${template}`;
      }),
    );
    for (const op of operations.filter((o) => o.includes(" /api"))) expect(covered).toContain(op);
  });

  it.each(ROUTES.filter((r) => r.needs !== "public"))(
    "$method $url answers 401 without a key",
    async (route) => {
      const answer = await call(route);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: "unauthorized", message: expect.stringMatching(/Bearer/) });
      expect(answer.headers["www-authenticate"]).toMatch(/^Bearer realm="vulntriage"/);
    },
  );

  it.each(ROUTES.filter((r) => r.needs === "public"))("$method $url is open", async (route) => {
    expect((await call(route)).status).toBe(200);
  });

  const table = ROUTES.filter((r) => r.needs !== "public").flatMap((route) =>
    SCOPES.map((scope) => ({ ...route, scope, allowed: scope === "admin" || scope === route.needs })),
  );
  it.each(table)("$method $url with only $scope: allowed $allowed", async (route) => {
    // Both header forms carry a key.
    const header: Record<string, string> =
      route.scope === "read"
        ? { "x-api-key": tokens[route.scope] }
        : { authorization: `Bearer ${tokens[route.scope]}` };
    const answer = await call(route, header);
    if (route.allowed) {
      expect([401, 403]).not.toContain(answer.status);
    } else {
      expect(answer.status).toBe(403);
      expect(answer.body.error).toBe("forbidden");
      expect(answer.body.message).toContain(route.needs);
    }
  });
});

describe("keys that stop working", () => {
  const read: Route = { method: "GET", url: "/api/container/scans", needs: "read" };

  it("refuses a malformed, unknown or tampered token with 401 and its reason", async () => {
    const good = tokens.read;
    const tampered = `${good.slice(0, -1)}${good.endsWith("0") ? "1" : "0"}`;
    const unknownId = `vt_${"0".repeat(16)}_${good.slice(-48)}`;
    for (const [token, reason] of [
      ["nonsense", /not a vulntriage API key/],
      [tampered, /unknown API key/],
      [unknownId, /unknown API key/],
    ] as const) {
      const answer = await call(read, { authorization: `Bearer ${token}` });
      expect(answer.status).toBe(401);
      expect(answer.body.message).toMatch(reason);
      expect(answer.headers["www-authenticate"]).toContain('error="invalid_token"');
    }
  });

  it("stops a key at its expiry", async () => {
    const created = await call(
      {
        method: "POST",
        url: "/api/keys",
        needs: "admin",
        body: { name: "short-lived", scopes: ["read"], expires_in: "1m" },
      },
      { authorization: `Bearer ${tokens.admin}` },
    );
    expect(created.status).toBe(201);
    expect(Date.parse(created.body.key.expires_at) - Date.now()).toBeGreaterThan(50_000);
    expect((await call(read, { authorization: `Bearer ${created.body.token}` })).status).toBe(200);
    await api.database.pool.query(
      "update api_keys set expires_at = now() - interval '1 second' where name = 'short-lived'",
    );
    const expired = await call(read, { authorization: `Bearer ${created.body.token}` });
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/short-lived expired/);
  });

  it("stops a key at once when it is revoked over HTTP, and lists it as revoked without any secret", async () => {
    const admin = { authorization: `Bearer ${tokens.admin}` };
    const created = await call(
      { method: "POST", url: "/api/keys", needs: "admin", body: { name: "to-revoke", scopes: ["read"] } },
      admin,
    );
    const token = created.body.token as string;
    expect(token).toMatch(/^vt_[0-9a-f]{16}_[0-9a-f]{48}$/);
    expect((await call(read, { "x-api-key": token })).status).toBe(200);
    const revoked = await call(
      { method: "DELETE", url: `/api/keys/${created.body.key.id}`, needs: "admin" },
      admin,
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    const after = await call(read, { "x-api-key": token });
    expect(after.status).toBe(401);
    expect(after.body.message).toMatch(/to-revoke was revoked/);
    const listed = await call({ method: "GET", url: "/api/keys", needs: "admin" }, admin);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(token.slice(-48));
    expect(listed.body.items.find((k: { name: string }) => k.name === "to-revoke")).toMatchObject({
      prefix: token.slice(0, 19),
      revoked_at: expect.any(String),
    });
    // The stored hash is no more a secret in the answer than the secret itself.
    const { rows } = await api.database.pool.query(
      "select secret_hash from api_keys where name = 'to-revoke'",
    );
    expect(text).not.toContain(rows[0].secret_hash);
    expect(rows[0].secret_hash).not.toContain(token.slice(-48));
  });

  it("records a key's last use", async () => {
    await call(read, { "x-api-key": tokens.read });
    const { rows } = await api.database.pool.query(
      "select last_used_at from api_keys where name = 'only-read'",
    );
    expect(rows[0].last_used_at).not.toBeNull();
  });

  it("refuses a second live key of one name, and bad scopes, names and durations, with 4xx", async () => {
    const admin = { authorization: `Bearer ${tokens.admin}` };
    const post = (body: unknown) => call({ method: "POST", url: "/api/keys", needs: "admin", body }, admin);
    expect((await post({ name: "only-read", scopes: ["read"] })).status).toBe(409);
    expect((await post({ name: "x", scopes: ["root"] })).status).toBe(400);
    expect((await post({ name: "x", scopes: [] })).status).toBe(400);
    expect((await post({ name: "1234", scopes: ["read"] })).status).toBe(400);
    expect((await post({ name: "has space", scopes: ["read"] })).status).toBe(400);
    expect((await post({ name: "x", scopes: ["read"], expires_in: "forever" })).status).toBe(400);
  });
});

describe("AUTH_MODE=auto", () => {
  let auto: TestApi;
  beforeAll(async () => {
    auto = await startTestApi({ access: { authMode: "auto" }, authCacheMs: 0 });
  });
  afterAll(async () => {
    await auto?.close();
  });

  it("lets loopback in while no key exists, never another address, and the first key closes the door", async () => {
    const scans = { method: "GET" as const, url: "/api/container/scans" };
    const inject = (remoteAddress: string, headers: Record<string, string> = {}) =>
      auto.app.inject({ ...scans, remoteAddress, headers });
    expect((await inject("127.0.0.1")).statusCode).toBe(200);
    expect((await inject("::1")).statusCode).toBe(200);
    expect((await inject("10.1.2.3")).statusCode).toBe(401);
    expect((await inject("192.168.0.7")).statusCode).toBe(401);
    // The first key, made from loopback over HTTP.
    const created = await auto.app.inject({
      method: "POST",
      url: "/api/keys",
      remoteAddress: "127.0.0.1",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ name: "first", scopes: ["admin"] }),
    });
    expect(created.statusCode).toBe(201);
    expect((await inject("127.0.0.1")).statusCode).toBe(401);
    const token = created.json().token as string;
    expect((await inject("127.0.0.1", { authorization: `Bearer ${token}` })).statusCode).toBe(200);
    // Revoking it does not reopen the door.
    await auto.app.inject({
      method: "DELETE",
      url: `/api/keys/${created.json().key.id}`,
      remoteAddress: "127.0.0.1",
      headers: { authorization: `Bearer ${token}` },
    });
    expect((await inject("127.0.0.1")).statusCode).toBe(401);
  });
});

describe("AUTH_MODE=required with no key at all", () => {
  it("refuses even loopback", async () => {
    const fresh = await startTestApi({ access: { authMode: "required" } });
    try {
      const answer = await fresh.app.inject({
        method: "GET",
        url: "/api/container/scans",
        remoteAddress: "127.0.0.1",
      });
      expect(answer.statusCode).toBe(401);
      expect((await fresh.app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});

describe("the OpenAPI document", () => {
  it("declares both schemes, and each operation's scope", () => {
    const spec = api.app.swagger() as unknown as {
      components: { securitySchemes: Record<string, { type: string }> };
      paths: Record<
        string,
        Record<string, { security?: unknown[]; description?: string; responses: object }>
      >;
    };
    expect(Object.keys(spec.components.securitySchemes).sort()).toEqual(["apiKeyHeader", "bearerAuth"]);
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (path === "/health") {
          // Open: an empty requirement, said explicitly (redocly's security-defined rule).
          expect(op.security).toEqual([]);
          continue;
        }
        expect(op.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
        expect(op.description).toMatch(/Scope: `(read|scans:write|analysis:write|admin)`/);
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403", "429"]));
      }
    }
  });
});
