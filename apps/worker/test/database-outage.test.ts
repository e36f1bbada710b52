import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { createOllamaPool } from "@vulntriage/core";
import { createDatabase } from "@vulntriage/db";
import { redisUrl } from "@vulntriage/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { startAnalysisWorker } from "../src/analysis-worker.js";
import {
  recordingLogger,
  type Stack,
  startStack,
  statusCounts,
  TEST_BACKOFF,
  trivyReport,
  uploadReport,
  waitFor,
} from "./helpers.js";

const stacks: Stack[] = [];

afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
});

function report(count: number): string {
  return trivyReport(
    "registry.example.com/outages/pg-down:1",
    Array.from({ length: count }, (_, i) => ({ id: `CVE-2025-${20_000 + i}`, pkg: `pg-down-lib${i}` })),
  );
}

/** A TCP proxy in front of PostgreSQL that can be cut: refused connections, as with a stopped server. */
async function cuttableProxy(target: URL) {
  const sockets = new Set<Socket>();
  let up = true;
  const server = createServer((client) => {
    if (!up) return client.destroy();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    port,
    cut: () => {
      up = false;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      up = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("a PostgreSQL outage", () => {
  it("should pause the worker's jobs without spending attempts, log it once, and complete once it is back", async () => {
    const stack = await startStack({ startWorker: false, maxAttempts: 2, retryDelayMs: 20 });
    stacks.push(stack);
    const target = new URL(stack.database.url);
    const proxy = await cuttableProxy(target);
    const proxied = new URL(stack.database.url);
    proxied.port = String(proxy.port);
    const database = createDatabase(proxied.toString(), { maxConnections: 4 });
    const log = recordingLogger();
    const worker = startAnalysisWorker({
      ctx: { ...stack.ctx, db: database.db, log },
      analyzer: createOllamaPool({
        servers: [{ url: stack.fake.url, concurrency: 2 }],
        timeoutMs: 5_000,
        log,
        backoff: TEST_BACKOFF,
      }),
      redisUrl: redisUrl(),
      prefix: stack.prefix,
      concurrency: 2,
      lockMs: 5_000,
      reconcileIntervalMs: 60_000,
      processingStaleMs: 60_000,
      shutdownTimeoutMs: 2_000,
      pause: TEST_BACKOFF,
    });
    try {
      proxy.cut();
      const uploaded = await uploadReport(stack.url, report(4));
      expect(uploaded.status).toBe(201);
      const scanId = uploaded.body.scan.id as number;
      // Two attempts 20 ms apart would be spent at once: the outage lasts 100 times that.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const failedJobs = await stack.queue.queue.getFailed();
      expect(failedJobs.map((j) => j.failedReason)).toEqual([]);
      expect(stack.fake.chatCalls).toBe(0);

      proxy.restore();
      await waitFor(
        "every finding completed",
        async () => (await statusCounts(stack.database, scanId)).completed === 4,
        20_000,
      );
      expect(await statusCounts(stack.database, scanId)).toEqual({ completed: 4 });
      expect(await stack.queue.queue.getJobCountByTypes("failed")).toBe(0);
      expect(log.lines.filter((l) => /PostgreSQL is not answering/.test(l.msg))).toHaveLength(1);
      expect(log.lines.some((l) => /outage over/.test(l.msg))).toBe(true);
    } finally {
      await worker.close();
      await database.close();
      await proxy.close();
    }
  });
});
