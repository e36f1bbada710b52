import rateLimit from "@fastify/rate-limit";
import {
  type AuthenticatedKey,
  type Authenticator,
  type Config,
  DomainError,
  grants,
  type Logger,
  SCOPES,
  type Scope,
} from "@vulntriage/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";

/**
 * Each route says who may call it and which limit it counts against; `refresh` is for the route
 * where a query parameter turns a read into a write (analyze's `refresh=true`).
 */
type Access =
  | {
      scope: Scope;
      bucket: Bucket;
      refresh?: { scope: Scope; bucket: Bucket };
      /** A browser page (the queue dashboard): the token may also come as a Basic password. */
      browser?: true;
    }
  | "public";
type Bucket = "uploads" | "reads" | "refresh";

declare module "fastify" {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** The caller's key; the local stand-in under AUTH_MODE=auto before any key exists; null when auth is off. */
    apiKey: AuthenticatedKey | null;
  }
}

export type AccessControlOptions = {
  authMode: Config["authMode"];
  authenticator: Authenticator;
  limits: Config["rateLimits"];
  /** The limits' counters; null keeps them in this process only (tests, one replica). */
  redis: Redis | null;
  keyPrefix: string;
  log: Logger;
  /** Where the queue dashboard's routes live: every one of them needs scope admin. */
  adminPrefix?: string | null;
};

// Who a loopback caller is while AUTH_MODE=auto and no key exists yet: everything, as on a fresh laptop.
const LOCAL: AuthenticatedKey = { id: 0, name: "local (no key exists yet)", scopes: ["admin"] };
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const WWW_AUTHENTICATE = 'Bearer realm="vulntriage"';
// What every protected operation may answer besides its own responses, as the document shows it.
const ACCESS_RESPONSES = {
  401: {
    $ref: "Error",
    description: "No API key, or one that is unknown, revoked or expired",
    headers: { "WWW-Authenticate": { type: "string", description: 'Bearer realm="vulntriage"' } },
  },
  403: { $ref: "Error", description: "The API key lacks the scope this operation needs" },
  429: {
    $ref: "Error",
    description: "Over this key's (or address's) limit for the minute",
    headers: {
      "Retry-After": { type: "integer", description: "Seconds until the limit allows the request" },
      "X-RateLimit-Limit": { type: "integer", description: "Requests allowed a minute" },
      "X-RateLimit-Remaining": { type: "integer", description: "Requests left this minute" },
      "X-RateLimit-Reset": { type: "integer", description: "Seconds until the count starts again" },
    },
  },
};

const BASIC_CHALLENGE = 'Basic realm="vulntriage queues", charset="UTF-8"';

function tokenOf(request: FastifyRequest, basic: boolean): string | null {
  const authorization = request.headers.authorization;
  if (typeof authorization === "string") {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match) return match[1] as string;
    // A browser cannot add a bearer header to a page's own requests, but it repeats Basic
    // credentials: the token is the password, the user name is ignored.
    const basicMatch = basic ? /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(authorization) : null;
    if (basicMatch) {
      const decoded = Buffer.from(basicMatch[1] as string, "base64").toString("utf8");
      const token = decoded.slice(decoded.indexOf(":") + 1).trim();
      if (token) return token;
    }
  }
  const header = request.headers["x-api-key"];
  return typeof header === "string" && header.trim() ? header.trim() : null;
}

const unauthorized = (message: string) => new DomainError("unauthorized", message);

/**
 * API keys and per-key limits on every route. A route without an `access` config fails the
 * start-up, so none is ever open by omission. Limits count in Redis and fail open (logged once)
 * when Redis is away: an outage of the counter never takes the API down with it.
 */
export async function registerAccessControl(app: FastifyInstance, options: AccessControlOptions) {
  const { authenticator, authMode } = options;
  app.decorateRequest("apiKey", null);

  app.addHook("onRoute", (route) => {
    // Swagger UI's own routes: open, as the document they show.
    if (route.url.startsWith("/docs")) route.config = { ...route.config, access: "public" };
    // The dashboard's plugin registers its pages, API and static files itself: all of them are admin's.
    const admin = options.adminPrefix;
    if (admin && (route.url === admin || route.url.startsWith(`${admin}/`))) {
      route.config = { ...route.config, access: { scope: "admin", bucket: "reads", browser: true } };
    }
    const access = route.config?.access;
    if (!access) throw new Error(`route ${route.method} ${route.url} declares no access`);
    if (access === "public" || !route.schema) return;
    // The document says what each operation needs, and what it answers without it.
    route.schema = {
      ...route.schema,
      security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
      description: `${route.schema.description ? `${route.schema.description}\n\n` : ""}Scope: \`${access.scope}\`${
        access.scope === "admin" ? "" : " (or `admin`)"
      }.`,
      response: { ...ACCESS_RESPONSES, ...(route.schema.response as object) },
    };
  });

  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(options.redis ? { redis: options.redis } : {}),
    nameSpace: `${options.keyPrefix}:rate-limit:`,
  });
  const limiter = (bucket: Bucket, max: number) => {
    const check = app.createRateLimit({
      max,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest) =>
        `${bucket}:${request.apiKey && request.apiKey.id > 0 ? `key-${request.apiKey.id}` : `ip-${request.ip}`}`,
    });
    return async (request: FastifyRequest, reply: { header: (k: string, v: string | number) => unknown }) => {
      const result = await check(request);
      if (result.isAllowed || !("max" in result)) return;
      reply.header("x-ratelimit-limit", result.max);
      reply.header("x-ratelimit-remaining", result.remaining);
      reply.header("x-ratelimit-reset", result.ttlInSeconds);
      if (result.isExceeded) {
        reply.header("retry-after", result.ttlInSeconds);
        throw new DomainError(
          "rate_limited",
          `more than ${max} ${bucket === "reads" ? "reads" : bucket} a minute for this ${request.apiKey?.id ? "key" : "address"}; retry in ${result.ttlInSeconds} s`,
        );
      }
    };
  };
  const limits = {
    uploads: limiter("uploads", options.limits.uploadsPerMinute),
    reads: limiter("reads", options.limits.readsPerMinute),
    refresh: limiter("refresh", options.limits.refreshPerMinute),
  } satisfies Record<Bucket, unknown>;

  if (options.redis) {
    // Said once per outage, not once per request.
    let down = false;
    options.redis.on("error", (error: Error) => {
      if (down) return;
      down = true;
      options.log.warn({ err: error.message }, "Redis is unreachable: rate limits are off until it is back");
    });
    options.redis.on("ready", () => {
      if (!down) return;
      down = false;
      options.log.info({}, "Redis is back: rate limits apply again");
    });
  }

  app.addHook("onRequest", async (request, reply) => {
    const access = request.routeOptions.config?.access;
    // No route (a 404) or an open one: nothing to check.
    if (!access || access === "public") return;
    if (authMode !== "off") {
      const browser = access.browser === true;
      const challenge = browser ? BASIC_CHALLENGE : WWW_AUTHENTICATE;
      const token = tokenOf(request, browser);
      if (token === null) {
        if (authMode === "auto" && LOOPBACK.test(request.socket.remoteAddress ?? "")) {
          if (!(await authenticator.anyKeyExists())) request.apiKey = LOCAL;
        }
        if (!request.apiKey) {
          reply.header("www-authenticate", challenge);
          throw unauthorized("send an API key: Authorization: Bearer <token> or X-API-Key: <token>");
        }
      } else {
        const verdict = await authenticator.verify(token);
        if (!verdict.ok) {
          reply.header(
            "www-authenticate",
            browser ? challenge : `${WWW_AUTHENTICATE}, error="invalid_token"`,
          );
          throw unauthorized(verdict.reason);
        }
        request.apiKey = verdict.key;
      }
    }
    // The raw query, before validation: what the schema will read as true (its boolean coercion).
    const refreshing = access.refresh && (request.query as Record<string, unknown>).refresh === "true";
    const { scope, bucket } = refreshing && access.refresh ? access.refresh : access;
    await limits[bucket](request, reply);
    requireScope(request, scope);
  });
}

function requireScope(request: FastifyRequest, scope: Scope): void {
  // AUTH_MODE=off: no key, every scope.
  if (request.apiKey === null) return;
  if (grants(request.apiKey.scopes, scope)) return;
  const held = request.apiKey.scopes.filter((s) => (SCOPES as readonly string[]).includes(s)).join(", ");
  throw new DomainError(
    "forbidden",
    `the API key ${request.apiKey.name} (scopes: ${held || "none"}) lacks the scope ${scope} that ${request.method} ${request.routeOptions.url} needs`,
  );
}
