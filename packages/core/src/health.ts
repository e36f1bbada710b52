import { pingDatabase } from "@vulntriage/db";
import type { ServiceContext } from "./context.js";

export type Health = { ok: boolean; checks: Record<string, string> };

const CHECK_TIMEOUT_MS = 2_000;

export async function checkHealth(args: { ctx: ServiceContext }): Promise<Health> {
  const { ctx } = args;
  const checks: Record<string, string> = {};
  const [postgres, redis] = await Promise.all([
    probe(() => pingDatabase(ctx.healthDb ?? ctx.db)),
    ctx.queue ? probe(() => (ctx.queue as NonNullable<typeof ctx.queue>).ping()) : undefined,
  ]);
  checks.postgres = postgres;
  if (redis !== undefined) checks.redis = redis;
  return { ok: Object.values(checks).every((v) => v === "ok"), checks };
}

async function probe(check: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return "ok";
  } catch (error) {
    return (error as Error).message || "unavailable";
  } finally {
    clearTimeout(timer);
  }
}
