import { randomUUID } from "node:crypto";
import type { KevEntry } from "@vulntriage/db";
import { fetchJson, SourceError } from "./fetch-json.js";
import { type SharedStore, wait } from "./shared-window.js";

export type KevCatalogue = Map<string, KevEntry>;

const text = (value: unknown): string | null =>
  typeof value === "string" && value.trim() ? value.trim() : null;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** CISA's catalogue as a map by CVE id; entries without an id or a date added are skipped. */
function parseCatalogue(body: unknown): KevCatalogue {
  const list = (body as { vulnerabilities?: unknown })?.vulnerabilities;
  if (!Array.isArray(list)) throw new SourceError("the KEV feed has no vulnerabilities list");
  const catalogue: KevCatalogue = new Map();
  for (const item of list) {
    const entry = item as Record<string, unknown>;
    const id = text(entry.cveID)?.toUpperCase();
    const dateAdded = text(entry.dateAdded);
    if (!id || !dateAdded || !DAY.test(dateAdded)) continue;
    const dueDate = text(entry.dueDate);
    const ransomware = text(entry.knownRansomwareCampaignUse)?.toLowerCase();
    catalogue.set(id, {
      dateAdded,
      dueDate: dueDate && DAY.test(dueDate) ? dueDate : null,
      knownRansomwareCampaignUse: ransomware === "known" ? true : ransomware === "unknown" ? false : null,
      requiredAction: text(entry.requiredAction),
      vulnerabilityName: text(entry.vulnerabilityName),
    });
  }
  return catalogue;
}

type Stored = { catalogue: KevCatalogue; fetchedAt: number };

/**
 * The whole KEV catalogue, fetched at most once per refresh period for the whole fleet: the copy,
 * its validators and its fetch time live in Redis, one worker fetches (with a conditional GET, so
 * an unchanged feed costs a 304) under a short lock while the others wait for its copy, and each
 * process keeps the parsed catalogue in memory until the shared copy is newer.
 */
export function createKevSource(options: {
  url: string;
  refreshMs: number;
  timeoutMs: number;
  shared: SharedStore;
}) {
  const { redis } = options.shared;
  const key = `${options.shared.keyPrefix}:kev-catalogue`;
  const lockKey = `${key}:lock`;
  const lockMs = options.timeoutMs + 5_000;
  let memory: Stored | null = null;
  let inFlight: Promise<KevCatalogue> | null = null;
  const fresh = (fetchedAt: number) => Date.now() - fetchedAt < options.refreshMs;

  const fromShared = async (fetchedAt: number): Promise<KevCatalogue | null> => {
    if (memory?.fetchedAt === fetchedAt) return memory.catalogue;
    const body = await redis.hget(key, "body");
    if (body === null) return null;
    memory = { catalogue: new Map(JSON.parse(body) as [string, KevEntry][]), fetchedAt };
    return memory.catalogue;
  };

  const fetchFeed = async (): Promise<KevCatalogue> => {
    const [etag, modified, hasBody] = await Promise.all([
      redis.hget(key, "etag"),
      redis.hget(key, "modified"),
      redis.hexists(key, "body"),
    ]);
    const headers: Record<string, string> = {};
    // Conditional only when there is a copy to keep.
    if (hasBody && etag) headers["if-none-match"] = etag;
    if (hasBody && modified) headers["if-modified-since"] = modified;
    const answer = await fetchJson(options.url, { timeoutMs: options.timeoutMs, headers });
    const fetchedAt = Date.now();
    if (answer.status === 304) {
      await redis.hset(key, "fetched_at", fetchedAt);
      const kept = await fromShared(fetchedAt);
      if (kept) return kept;
      throw new SourceError("the KEV feed answered 304 but the shared copy is gone");
    }
    const catalogue = parseCatalogue(answer.body);
    await redis.hset(key, {
      body: JSON.stringify([...catalogue]),
      etag: answer.headers.get("etag") ?? "",
      modified: answer.headers.get("last-modified") ?? "",
      fetched_at: fetchedAt,
    });
    memory = { catalogue, fetchedAt };
    return catalogue;
  };

  const load = async (): Promise<KevCatalogue> => {
    const token = randomUUID();
    // Another worker fetching holds the lock for at most lockMs: wait that long for its copy.
    const sharedIfFresh = async (): Promise<KevCatalogue | null> => {
      const fetchedAt = Number(await redis.hget(key, "fetched_at"));
      return fetchedAt > 0 && fresh(fetchedAt) ? fromShared(fetchedAt) : null;
    };
    for (const deadline = Date.now() + lockMs; ; ) {
      const shared = await sharedIfFresh();
      if (shared) return shared;
      if ((await redis.set(lockKey, token, "PX", lockMs, "NX")) === "OK") break;
      if (Date.now() > deadline) break; // its holder died: its lock is about to expire anyway
      await wait(200);
    }
    try {
      // Looked again under the lock: the previous holder may have stored a copy since.
      return (await sharedIfFresh()) ?? (await fetchFeed());
    } finally {
      await redis.eval(UNLOCK, 1, lockKey, token).catch(() => {});
    }
  };

  return {
    catalogue: async (): Promise<KevCatalogue> => {
      if (memory && fresh(memory.fetchedAt)) return memory.catalogue;
      // Concurrent jobs of one process share one load.
      inFlight ??= load()
        .catch((error: unknown) => {
          if (error instanceof SourceError) throw error;
          throw new SourceError(`the shared KEV catalogue in Redis: ${(error as Error).message}`);
        })
        .finally(() => {
          inFlight = null;
        });
      return inFlight;
    },
  };
}

// Deletes the lock only while it is still ours.
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export type KevSource = ReturnType<typeof createKevSource>;
