import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { deleteKeys, redisUrl, spawnBuiltService } from "@vulntriage/test-utils";
import type pg from "pg";

export type ApiProcess = {
  url: string;
  child: ChildProcess;
  prefix: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (SIGKILL after `graceMs`), then deletes the process's Redis keys. */
  stop: (graceMs?: number) => Promise<void>;
};

/** The compiled API (`apps/api/dist/server.js`) as `npm start` runs it, once /health says 200. */
export async function startApiProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ApiProcess> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const prefix = `test-${randomBytes(6).toString("hex")}`;
  const service = spawnBuiltService("apps/api/dist/server.js", {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    HOST: "127.0.0.1",
    PORT: String(port),
    // No test ever sends a request off this machine.
    ENRICHMENT: "offline",
    LOG_LEVEL: "warn",
    ...env,
  });
  const { child, exited, output } = service;
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited at start:\n${output()}`);
    const health = await fetch(`${url}/health`).catch(() => undefined);
    if (health?.status === 200) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the API did not become healthy:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    child,
    prefix,
    output,
    exited,
    stop: async (graceMs = 15_000) => {
      await service.stop(graceMs);
      await deleteKeys(prefix);
    },
  };
}

/** Polls until this database runs a COPY (an upload streaming its findings); its backend pid. */
export async function waitForCopy(admin: pg.Pool, database: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await admin.query<{ pid: number }>(
      "select pid from pg_stat_activity where query ilike 'copy%' and state = 'active' and datname = $1",
      [database],
    );
    if (rows[0]) return rows[0].pid;
    if (Date.now() > deadline) throw new Error("no COPY started");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
