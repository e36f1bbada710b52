// Tests reach PostgreSQL through TEST_DATABASE_URL (any database on the server; default: the
// local trust-auth server CI starts) and create their own databases next to it.
const BASE = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export function adminUrl(): string {
  return BASE;
}

export function databaseUrl(name: string): string {
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  return url.toString();
}

export function redisUrl(): string {
  return process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
}
