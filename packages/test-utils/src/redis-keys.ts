import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { redisUrl } from "./database-urls.js";

/** Leaves nothing behind in the shared Redis: deletes every key under one queue prefix. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl());
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

type SharedStore = { redis: Redis; keyPrefix: string };

/**
 * What enrichment sources share through Redis (KEV's catalogue, NVD's window), under a prefix of
 * its own so that test files never share; `own()` is a further store of its own for one source
 * (as if in a fleet of its own); close() deletes every key.
 */
export function testSharedStore(): SharedStore & { own: () => SharedStore; close: () => Promise<void> } {
  const redis = new Redis(redisUrl());
  const keyPrefix = `test-shared-${randomBytes(6).toString("hex")}`;
  let next = 0;
  return {
    redis,
    keyPrefix,
    own: () => ({ redis, keyPrefix: `${keyPrefix}:${next++}` }),
    close: async () => {
      redis.disconnect();
      await deleteKeys(keyPrefix);
    },
  };
}
