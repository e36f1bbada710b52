import { pingDatabase } from "@vulntriage/db";
import type { ServiceContext } from "./context.js";

/** Each dependency: "ok" or "unavailable". */
export type Health = { ok: boolean; checks: Record<string, "ok" | "unavailable"> };

const CHECK_TIMEOUT_MS = 2_000;

export async function checkHealth(args: { ctx: ServiceContext }): Promise<Health> {
  const { ctx } = args;
  const checks: Health["checks"] = {};
  const [postgres, redis] = await Promise.all([
    probe(() => pingDatabase(ctx.healthDb ?? ctx.db)),
    ctx.queue ? probe(() => (ctx.queue as NonNullable<typeof ctx.queue>).ping()) : undefined,
  ]);
  // The reason (an address, a driver message) is for the log, never for the answer.
  for (const [name, outcome] of [
    ["postgres", postgres],
    ["redis", redis],
  ] as const) {
    if (outcome === undefined) continue;
    checks[name] = outcome === "ok" ? "ok" : "unavailable";
    if (outcome !== "ok") ctx.log.debug?.({ dependency: name, reason: outcome }, "health check failed");
  }
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
