import { kevEntry, redisUrl, type StubKev, startStubKev, testSharedStore } from "@vulntriage/test-utils";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SourceError } from "../../src/enrichment/fetch-json.js";
import { createKevSource } from "../../src/enrichment/kev.js";

// Several workers of one fleet: each its own KEV source and Redis connection, one shared store.
const store = testSharedStore();
let kev: StubKev;
const connections: Redis[] = [];

beforeAll(async () => {
  kev = await startStubKev({ entries: [kevEntry("CVE-2021-44228"), kevEntry("CVE-2023-44487")] });
});
afterAll(async () => {
  for (const redis of connections) redis.disconnect();
  await Promise.all([kev?.close(), store.close()]);
});
beforeEach(() => kev.reset());

function fleet(size: number, refreshMs: number) {
  const { keyPrefix } = store.own();
  return Array.from({ length: size }, () => {
    const redis = new Redis(redisUrl());
    connections.push(redis);
    return createKevSource({ url: kev.feedUrl, refreshMs, timeoutMs: 2_000, shared: { redis, keyPrefix } });
  });
}

describe("the KEV catalogue shared by the fleet", () => {
  it("is fetched once for every worker and every concurrent job within the refresh period", async () => {
    const workers = fleet(4, 3_600_000);
    const catalogues = await Promise.all(workers.flatMap((w) => [w.catalogue(), w.catalogue()]));
    expect(kev.feedCalls).toBe(1);
    for (const catalogue of catalogues) {
      expect([...catalogue.keys()].sort()).toEqual(["CVE-2021-44228", "CVE-2023-44487"]);
    }
    // Later calls, in any worker, are answered from memory or the shared copy.
    await Promise.all(workers.map((w) => w.catalogue()));
    expect(kev.feedCalls).toBe(1);
  });

  it("is refreshed once per period for the fleet, with a conditional GET that keeps the copy on 304", async () => {
    const workers = fleet(3, 300);
    await workers[0]?.catalogue();
    await new Promise((resolve) => setTimeout(resolve, 350));
    const again = await Promise.all(workers.map((w) => w.catalogue()));
    expect(kev.feedCalls).toBe(2);
    expect(kev.notModified).toBe(1);
    for (const catalogue of again) expect(catalogue.has("CVE-2021-44228")).toBe(true);
  });

  it("gives every worker a new catalogue once one worker has fetched it", async () => {
    const [first, second] = fleet(2, 300);
    expect((await first?.catalogue())?.has("CVE-2024-3400")).toBe(false);
    kev.setEntries([kevEntry("CVE-2021-44228"), kevEntry("CVE-2024-3400")]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await first?.catalogue())?.has("CVE-2024-3400")).toBe(true);
    // The second worker's copy is still fresh in Redis: it reads it rather than fetching.
    expect((await second?.catalogue())?.has("CVE-2024-3400")).toBe(true);
    expect(kev.feedCalls).toBe(2);
  });

  it("is a SourceError, with no fetch, when Redis cannot be reached", async () => {
    const down = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 0, lazyConnect: true });
    down.on("error", () => {});
    const source = createKevSource({
      url: kev.feedUrl,
      refreshMs: 3_600_000,
      timeoutMs: 2_000,
      shared: { redis: down, keyPrefix: "unused" },
    });
    const error = await source.catalogue().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/Redis/);
    expect(kev.feedCalls).toBe(0);
    down.disconnect();
  });

  it("is a SourceError when the feed fails, and leaves no copy to be mistaken for an answer", async () => {
    const [worker] = fleet(1, 3_600_000);
    kev.queueFaults([{ kind: "http", status: 503 }]);
    await expect(worker?.catalogue()).rejects.toBeInstanceOf(SourceError);
    expect((await worker?.catalogue())?.size).toBe(2);
    // The failed fetch, then a real one: the failure stored nothing the next call could reuse.
    expect(kev.requests.map((r) => r.fault ?? "ok")).toEqual(["http", "ok"]);
  });
});
