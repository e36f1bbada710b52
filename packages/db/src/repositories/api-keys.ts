import { and, asc, count, eq, isNull, or, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { apiKeys } from "../schema/index.js";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** The row of a new key, or null when a live key already has the name. */
export async function insertApiKey(
  db: Executor,
  key: { publicId: string; secretHash: string; name: string; scopes: string[]; expiresAt: Date | null },
): Promise<ApiKeyRow | null> {
  const [row] = await db
    .insert(apiKeys)
    .values(key)
    .onConflictDoNothing({ target: apiKeys.name, where: isNull(apiKeys.revokedAt) })
    .returning();
  return row ?? null;
}

export async function findApiKeyByPublicId(db: Executor, publicId: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.publicId, publicId)).limit(1);
  return row;
}

export async function listApiKeys(db: Executor): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(asc(apiKeys.id));
}

/** Whether any key was ever created (revoked ones count: the first key closes the open door for good). */
export async function anyApiKeyExists(db: Executor): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(apiKeys);
  return (row?.n ?? 0) > 0;
}

/** Revokes the live key with this id (a number) or name; the row, or undefined when none is live. */
export async function revokeApiKey(db: Executor, idOrName: string): Promise<ApiKeyRow | undefined> {
  const byId = /^\d{1,15}$/.test(idOrName) ? eq(apiKeys.id, Number(idOrName)) : undefined;
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(isNull(apiKeys.revokedAt), or(byId, eq(apiKeys.name, idOrName))))
    .returning();
  return row;
}

/** Records a use at most once a minute per key, so that reads do not each write a row. */
export async function touchApiKey(db: Executor, id: number): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, id),
        or(isNull(apiKeys.lastUsedAt), sql`${apiKeys.lastUsedAt} < now() - interval '1 minute'`),
      ),
    );
}
