import { sql } from "drizzle-orm";
import { bigserial, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

// API keys: the token is `vt_<public_id>_<secret>`; only the secret's SHA-256 is stored. A fast hash
// suffices where a password would need a slow one: the secret is 192 random bits, not guessable.
export const apiKeys = pgTable(
  "api_keys",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    publicId: text("public_id").notNull(),
    secretHash: text("secret_hash").notNull(),
    name: text("name").notNull(),
    scopes: text("scopes").array().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("api_keys_public_id_key").on(t.publicId),
    // A name picks one live key (`keys revoke ci`); a revoked key's name may be used again.
    uniqueIndex("api_keys_live_name_key").on(t.name).where(sql`${t.revokedAt} is null`),
  ],
);
