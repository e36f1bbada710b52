import {
  type ApiKeyRow,
  anyApiKeyExists,
  type Executor,
  findApiKeyByPublicId,
  isDatabaseUnavailable,
  touchApiKey,
} from "@vulntriage/db";
import { DependencyUnavailableError } from "../errors.js";
import { parseToken, secretMatches } from "./token.js";

export type AuthenticatedKey = { id: number; name: string; scopes: string[] };
export type Verdict = { ok: true; key: AuthenticatedKey } | { ok: false; reason: string };

// How long a process trusts what it read about a key: a revocation or a first key made by another
// process (the CLI, another API replica) takes effect within this.
const CACHE_MS = 5_000;
const TOUCH_EVERY_MS = 60_000;

/**
 * Checks tokens against the stored keys, with a short per-process cache so that reads do not each
 * cost a query, and records each key's last use at most once a minute.
 */
export function createAuthenticator(db: Executor, options: { cacheMs?: number | undefined } = {}) {
  const cacheMs = options.cacheMs ?? CACHE_MS;
  const rows = new Map<string, { row: ApiKeyRow | undefined; at: number }>();
  const touched = new Map<number, number>();
  let keysExist: { value: boolean; at: number } | null = null;

  const rowOf = async (publicId: string): Promise<ApiKeyRow | undefined> => {
    const cached = rows.get(publicId);
    if (cached && Date.now() - cached.at < cacheMs) return cached.row;
    const row = await unlessDown(() => findApiKeyByPublicId(db, publicId));
    // Bounded: unknown ids from a scanner must not grow the map without end.
    if (rows.size > 10_000) rows.clear();
    rows.set(publicId, { row, at: Date.now() });
    return row;
  };

  const touch = (id: number): void => {
    const last = touched.get(id) ?? 0;
    if (Date.now() - last < TOUCH_EVERY_MS) return;
    touched.set(id, Date.now());
    // A failed write of last_used_at must not fail the request it describes.
    touchApiKey(db, id).catch(() => touched.delete(id));
  };

  return {
    async verify(token: string): Promise<Verdict> {
      const parsed = parseToken(token);
      if (!parsed) return { ok: false, reason: "the token is not a vulntriage API key (vt_…)" };
      const row = await rowOf(parsed.publicId);
      // An unknown public id answers without a comparison: that id is not secret, so answering
      // sooner for it reveals nothing about any secret.
      if (!row || !secretMatches(parsed.secret, row.secretHash))
        return { ok: false, reason: "unknown API key" };
      if (row.revokedAt) return { ok: false, reason: `the API key ${row.name} was revoked` };
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now())
        return { ok: false, reason: `the API key ${row.name} expired at ${row.expiresAt.toISOString()}` };
      touch(row.id);
      return { ok: true, key: { id: row.id, name: row.name, scopes: row.scopes } };
    },

    /** Once true, true for good: keys are revoked, never deleted. */
    async anyKeyExists(): Promise<boolean> {
      if (keysExist?.value || (keysExist && Date.now() - keysExist.at < cacheMs)) return keysExist.value;
      keysExist = { value: await unlessDown(() => anyApiKeyExists(db)), at: Date.now() };
      return keysExist.value;
    },

    /** After this process made or revoked a key: no stale answer, not even for the cache's few seconds. */
    forget(): void {
      rows.clear();
      keysExist = null;
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

// A key cannot be checked while the database is away: 503, as for every other read.
async function unlessDown<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isDatabaseUnavailable(error))
      throw new DependencyUnavailableError("the database is not answering; try again", { cause: error });
    throw error;
  }
}
