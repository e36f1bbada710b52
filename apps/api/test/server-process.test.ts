import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
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
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe("the compiled API process", () => {
  const name = `vt_server_${randomBytes(5).toString("hex")}`;

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
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const server = runServer({
      PORT: String(port),
      DATABASE_URL: databaseUrl(name),
      QUEUE_PREFIX: `test-${name}`,
    });
    let health: Response | undefined;
    for (let attempt = 0; attempt < 100 && !health; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    }
    expect(health?.status).toBe(200);
    expect(await health?.json()).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });

    const scans = await fetch(`http://127.0.0.1:${port}/api/container/scans`);
    expect(await scans.json()).toMatchObject({ items: [], total: 0 });

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});
