import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { SourceError } from "./fetch-json.js";

// A rolling-window limit shared by every worker process of the fleet, kept in Redis. Written here
// rather than taken from a library: the ones for Node (rate-limiter-flexible, BullMQ's own limiter)
// count fixed windows, which let twice the limit through across a boundary, and count a call at its
// start only — NVD counts arrivals, which come anywhere between our start and its answer.
//
// One sorted set per limited quota. A member is one request: scored `now + lease` while in flight
// (so a crashed process frees its slot after the lease), then its answer time. A member leaves the
// window `span` after its score. Redis's clock scores everything, so processes never disagree.

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local span, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], lease + span)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + span - now)
`;

const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

// A waiter looks again at least this often: a slot held by a request in flight frees at its answer.
const POLL_MS = 250;

// An abort rejects with the signal's own reason, as throwIfAborted does.
export const wait = (ms: number, signal?: AbortSignal): Promise<void> =>
  sleep(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal?.aborted ? signal.reason : error;
  });

/** Where the fleet's workers keep what they share: the queue's Redis, under its prefix. */
export type SharedStore = { redis: Redis; keyPrefix: string };

export type SharedWindowOptions = {
  redis: Redis;
  key: string;
  limit: number;
  windowMs: number;
  /** Longest a request may hold its slot unanswered before the slot counts as answered. */
  leaseMs: number;
};

/**
 * At most `limit` request starts in any rolling window across every process using `key`. Resolves,
 * once a start is allowed, to the function to call when the answer is in. Redis unreachable is a
 * SourceError: the lookup is recorded as an error and tried again later, never made unpaced.
 */
export function sharedWindow(options: SharedWindowOptions) {
  // A little slack for the server's own clock and for network time between the two.
  const spanMs = Math.ceil(options.windowMs + Math.min(1_000, 5 + options.windowMs / 100));
  const ttlMs = options.leaseMs + spanMs;
  const redisFailure = (error: unknown) =>
    new SourceError(`the shared rate limit in Redis could not be reached: ${(error as Error).message}`);

  return async (signal?: AbortSignal): Promise<() => Promise<void>> => {
    const member = randomUUID();
    for (;;) {
      signal?.throwIfAborted();
      let waitMs: number;
      try {
        waitMs = Number(
          await options.redis.eval(ACQUIRE, 1, options.key, options.limit, spanMs, options.leaseMs, member),
        );
      } catch (error) {
        throw redisFailure(error);
      }
      if (waitMs === 0) break;
      await wait(Math.min(waitMs, POLL_MS), signal);
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      // Unreachable now: the slot stays held until its lease ends, which only errs towards waiting.
      await options.redis.eval(RELEASE, 1, options.key, member, ttlMs).catch(() => {});
    };
  };
}
