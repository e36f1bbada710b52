import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./helpers.js";
import { openRaw, parseAnswer, requestWithHeaders } from "./raw-http.js";

describe("security headers, Host check and CORS", () => {
  let plain: TestApi;
  let guarded: TestApi;

  beforeAll(async () => {
    [plain, guarded] = await Promise.all([
      startTestApi(),
      startTestApi({
        http: {
          allowedHosts: ["vulntriage.example.com", "127.0.0.1"],
          corsOrigins: ["https://app.example.com"],
        },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), guarded?.close()]);
  });

  it("should send helmet's headers with an API policy on JSON answers, errors included", async () => {
    for (const path of ["/health", "/api/container/scans", "/api/container/findings/x", "/no/such/route"]) {
      const response = await fetch(`${plain.url}${path}`);
      expect(response.headers.get("content-security-policy"), path).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("x-frame-options"), path).toBe("SAMEORIGIN");
      expect(response.headers.get("strict-transport-security"), path).toMatch(/max-age=\d+/);
      expect(response.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(response.headers.get("x-powered-by"), path).toBeNull();
    }
  });

  it("should keep the Swagger UI working: its page loads only its own scripts and styles, which its policy allows", async () => {
    const page = await fetch(`${plain.url}/docs/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    expect(csp).not.toMatch(/'unsafe-eval'/);
    const html = await page.text();
    // No inline script, which script-src 'self' would block.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset, "a same-origin relative path").toMatch(/^\.\//);
      const response = await fetch(new URL(asset, `${plain.url}/docs/`));
      expect(response.status, asset).toBe(200);
    }
    const initializer = await fetch(`${plain.url}/docs/static/swagger-initializer.js`);
    expect(await initializer.text()).toMatch(/json/);
    expect((await fetch(`${plain.url}/docs/json`)).status).toBe(200);
  });

  it("should answer any Host when ALLOWED_HOSTS is unset", async () => {
    const answer = await requestWithHeaders(`${plain.url}/api/container/scans`, {
      headers: { host: "anything.example" },
    });
    expect(answer.status).toBe(200);
  });

  it.each([
    ["vulntriage.example.com", 200],
    ["VULNTRIAGE.example.com:3000", 200],
    ["127.0.0.1", 200],
    ["evil.example", 421],
    ["vulntriage.example.com.evil.example", 421],
    ["localhost", 421],
  ])("should answer Host %s with %i when ALLOWED_HOSTS is set", async (host, status) => {
    const answer = await requestWithHeaders(`${guarded.url}/api/container/scans`, { headers: { host } });
    expect(answer.status).toBe(status);
    if (status === 421) {
      const body = JSON.parse(answer.body);
      expect(Object.keys(body).sort()).toEqual(["error", "message"]);
      expect(body.error).toBe("misdirected_request");
      expect(body.message).toMatch(/ALLOWED_HOSTS/);
    }
  });

  it("should refuse an HTTP/1.0 request without Host when ALLOWED_HOSTS is set", async () => {
    const connection = await openRaw(guarded.url);
    connection.send("GET /api/container/scans HTTP/1.0\r\n\r\n");
    await connection.closed;
    const answer = parseAnswer(connection.received());
    expect(answer.statusLine).toMatch(/^HTTP\/1\.[01] 421 /);
    expect(JSON.parse(answer.body).error).toBe("misdirected_request");
  });

  it("should leave /health open to probes that address the server by another name", async () => {
    const answer = await requestWithHeaders(`${guarded.url}/health`, { headers: { host: "10.1.2.3:3000" } });
    expect(answer.status).toBe(200);
  });

  it("should send no CORS headers when CORS_ORIGINS is unset", async () => {
    const origin = "https://app.example.com";
    const get = await requestWithHeaders(`${plain.url}/api/container/scans`, { headers: { origin } });
    expect(get.status).toBe(200);
    expect(get.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await requestWithHeaders(`${plain.url}/api/container/scans`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(404);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    expect(JSON.parse(preflight.body).error).toBe("not_found");
  });

  it("should allow exactly the origins CORS_ORIGINS lists", async () => {
    const headers = { host: "127.0.0.1" };
    const allowed = await requestWithHeaders(`${guarded.url}/api/container/scans`, {
      headers: { ...headers, origin: "https://app.example.com" },
    });
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    const other = await requestWithHeaders(`${guarded.url}/api/container/scans`, {
      headers: { ...headers, origin: "https://evil.example" },
    });
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await requestWithHeaders(`${guarded.url}/api/container/scans`, {
      method: "OPTIONS",
      headers: {
        ...headers,
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect(preflight.headers["access-control-allow-methods"]).toMatch(/POST/);
    expect(preflight.headers["access-control-allow-headers"]).toMatch(/authorization/);
  });
});
