import { performance } from "node:perf_hooks";
import { testSharedStore } from "@vulntriage/test-utils";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { SourceError } from "../../src/enrichment/fetch-json.js";
import { sharedWindow } from "../../src/enrichment/shared-window.js";

const store = testSharedStore();
afterAll(() => store.close());
let keys = 0;
const window = (limit: number, windowMs: number, leaseMs: number) =>
  sharedWindow({ redis: store.redis, key: `${store.keyPrefix}:w${keys++}`, limit, windowMs, leaseMs });

describe("a rolling window shared through Redis", () => {
  it("lets `limit` starts through at once and holds the next until a window after an answer", async () => {
    const slot = window(3, 400, 10_000);
    const releases = await Promise.all([slot(), slot(), slot()]);
    const started = performance.now();
    const fourth = slot();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await releases[0]?.();
    const answeredAt = performance.now();
    await fourth;
    // Held while all three were in flight, then one window after the first answer.
    expect(performance.now() - answeredAt).toBeGreaterThanOrEqual(390);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("frees the slot of a holder that never answers (a crashed worker) only after its lease and the window", async () => {
    const slot = window(1, 300, 500);
    await slot(); // never released
    const started = performance.now();
    await slot();
    expect(performance.now() - started).toBeGreaterThanOrEqual(790);
  });

  it("ends a wait when the signal aborts, with its reason", async () => {
    const slot = window(1, 10_000, 10_000);
    await slot();
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error("shutting down")), 50);
    await expect(slot(abort.signal)).rejects.toThrow("shutting down");
  });

  it("is a SourceError, not an unpaced request, when Redis cannot be reached", async () => {
    const down = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 0, lazyConnect: true });
    down.on("error", () => {});
    const slot = sharedWindow({ redis: down, key: "unused", limit: 5, windowMs: 1_000, leaseMs: 1_000 });
    await expect(slot()).rejects.toBeInstanceOf(SourceError);
    down.disconnect();
  });
});
