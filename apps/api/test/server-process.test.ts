import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { quoteIdentifier } from "@vulntriage/db";
import { adminUrl, builtEntry, databaseUrl, deleteKeys } from "@vulntriage/test-utils";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

const SERVER = builtEntry("apps/api/dist/server.js");

const children: ReturnType<typeof spawn>[] = [];

function runServer(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr, stdout: () => stdout };
}

async function healthy(port: number): Promise<Response | undefined> {
  let health: Response | undefined;
  for (let attempt = 0; attempt < 100 && !health; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
  }
  return health;
}

describe("the compiled API process", () => {
  const name = `vt_server_${randomBytes(5).toString("hex")}`;
  /** The server on a random port, on this file's database and queue prefix, with `env` added. */
  const serve = (env: Record<string, string> | ((port: number) => Record<string, string>) = {}) => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const extra = typeof env === "function" ? env(port) : env;
    const base = { PORT: String(port), DATABASE_URL: databaseUrl(name), QUEUE_PREFIX: `test-${name}` };
    return { port, server: runServer({ ...base, ...extra }) };
  };

  afterAll(async () => {
    // A failed assertion must not leave a server running.
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`drop database if exists ${quoteIdentifier(name)} with (force)`);
    await admin.end();
    await deleteKeys(`test-${name}`);
  });

  it("should refuse to start, naming every bad variable", async () => {
    const server = runServer({ PORT: "eighty", MAX_REPORT_BYTES: "lots", DATABASE_URL: databaseUrl(name) });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain("PORT");
    expect(server.stderr()).toContain("MAX_REPORT_BYTES");
  });

  it("should create a missing database, migrate it, serve /health and stop on SIGTERM", async () => {
    const { port, server } = serve();
    const health = await healthy(port);
    expect(health?.status).toBe(200);
    expect(await health?.json()).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });

    const scans = await fetch(`http://127.0.0.1:${port}/api/container/scans`);
    expect(await scans.json()).toMatchObject({ items: [], total: 0 });
    // A fresh install with AUTH_MODE=auto says why curl works without a key.
    expect(server.stdout()).toMatch(
      /AUTH_MODE=auto and no API key exists yet: callers on loopback are let in/,
    );

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  it("should apply the HTTP variables: ALLOWED_HOSTS, CORS_ORIGINS, helmet headers, bounded numbers, headers timeout", async () => {
    const { port, server } = serve((port) => ({
      AUTH_MODE: "off",
      ALLOWED_HOSTS: `127.0.0.1:${port}`,
      CORS_ORIGINS: "https://app.example.com",
      HTTP_HEADERS_TIMEOUT_MS: "1000",
    }));
    expect((await healthy(port))?.status).toBe(200);
    const base = `http://127.0.0.1:${port}`;
    const list = await fetch(`${base}/api/container/scans`, {
      headers: { origin: "https://app.example.com" },
    });
    expect(list.status).toBe(200);
    expect(list.headers.get("x-content-type-options")).toBe("nosniff");
    expect(list.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const outOfRange = await fetch(`${base}/api/container/scans?offset=1e20`);
    expect(outOfRange.status).toBe(400);
    expect(((await outOfRange.json()) as { error: string }).error).toBe("invalid_request");
    // fetch cannot send another Host; a raw socket can.
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(port, "127.0.0.1", () => socket.write(request));
        let text = "";
        socket.on("data", (chunk) => {
          text += chunk;
        });
        socket.on("close", () => resolve(text));
      });
    expect(
      await raw("GET /api/container/scans HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"),
    ).toMatch(/^HTTP\/1\.1 421[\s\S]*misdirected_request/);
    // Headers that never finish are cut off after HTTP_HEADERS_TIMEOUT_MS with our error body.
    expect(await raw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")).toMatch(
      /^HTTP\/1\.1 408[\s\S]*request_timeout/,
    );
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  it("should warn at start when AUTH_MODE=off, and serve no /docs when DOCS=off", async () => {
    const { port, server } = serve({
      AUTH_MODE: "off",
      DOCS: "off",
    });
    expect((await healthy(port))?.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/docs`)).status).toBe(404);
    expect(server.stdout()).toMatch(/"level":40.*AUTH_MODE=off: every route is open/);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  it("should refuse every API route without a key when AUTH_MODE=required, and keep /health and /docs open", async () => {
    const { port, server } = serve({
      AUTH_MODE: "required",
    });
    expect((await healthy(port))?.status).toBe(200);
    const scans = await fetch(`http://127.0.0.1:${port}/api/container/scans`);
    expect(scans.status).toBe(401);
    expect(scans.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await fetch(`http://127.0.0.1:${port}/docs/json`)).status).toBe(200);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});
