import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A queue prefix of this run's own; the shared Redis holds other people's keys too. */
export function randomPrefix(): string {
  return `vtbench-${randomBytes(5).toString("hex")}`;
}

/** Deletes this prefix's keys only (SCAN MATCH + DEL, never FLUSHDB); returns how many. */
export async function deleteKeys(prefix: string): Promise<number> {
  const redis = new Redis(BENCH_REDIS_URL);
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export async function redisVersion(): Promise<string> {
  const redis = new Redis(BENCH_REDIS_URL);
  try {
    const info = await redis.info("server");
    return /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
  } finally {
    redis.disconnect();
  }
}
