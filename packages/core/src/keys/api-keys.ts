import {
  type ApiKeyRow,
  insertApiKey,
  listApiKeys as listRows,
  revokeApiKey as revokeRow,
} from "@vulntriage/db";
import { type Static, Type } from "typebox";
import type { ServiceContext } from "../context.js";
import { ConflictError, InvalidRequestError, NotFoundError } from "../errors.js";
import { verb } from "../verb.js";
import { isScope, SCOPES } from "./scopes.js";
import { newToken } from "./token.js";

export const ApiKeySchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    scopes: Type.Array(Type.Unsafe<string>({ type: "string", enum: [...SCOPES] })),
    /** The token's first part, to tell keys apart; never the secret. */
    prefix: Type.String({ description: "The token's public part (vt_<id>), to tell keys apart" }),
    created_at: Type.String({ format: "date-time" }),
    last_used_at: Type.Unsafe<string | null>({ type: ["string", "null"], format: "date-time" }),
    expires_at: Type.Unsafe<string | null>({ type: ["string", "null"], format: "date-time" }),
    revoked_at: Type.Unsafe<string | null>({ type: ["string", "null"], format: "date-time" }),
  },
  { $id: "ApiKey", title: "ApiKey" },
);
export type ApiKeyDto = Static<typeof ApiKeySchema>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DURATION = /^(\d{1,6})([mhdw])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** "90d", "12h", "30m", "2w" in milliseconds; null when it is none of those. */
function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : null;
}

function keyOf(row: ApiKeyRow): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    prefix: `vt_${row.publicId}`,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    expires_at: row.expiresAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

/** A new key and its token: the token is shown once, here, and stored only as a hash. */
export const createApiKey = verb(async function createApiKey(args: {
  ctx: ServiceContext;
  input: { name: string; scopes: readonly string[]; expiresIn?: string | undefined };
}): Promise<{ key: ApiKeyDto; token: string }> {
  const { name, scopes, expiresIn } = args.input;
  if (!NAME.test(name) || /^\d+$/.test(name))
    throw new InvalidRequestError(
      "a key's name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, and not only digits",
    );
  const unknown = scopes.filter((s) => !isScope(s));
  if (scopes.length === 0 || unknown.length > 0)
    throw new InvalidRequestError(
      `scopes must be a non-empty list of ${SCOPES.join(", ")}${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""}`,
    );
  let expiresAt: Date | null = null;
  if (expiresIn !== undefined) {
    const ms = parseDuration(expiresIn);
    if (ms === null) throw new InvalidRequestError("expires_in is a number and a unit: 30m, 12h, 90d or 2w");
    expiresAt = new Date(Date.now() + ms);
  }
  const { token, publicId, secretHash } = newToken();
  const row = await insertApiKey(args.ctx.db, {
    publicId,
    secretHash,
    name,
    scopes: [...new Set(scopes)],
    expiresAt,
  });
  if (!row) throw new ConflictError(`a live key is already named ${JSON.stringify(name)}; revoke it first`);
  return { key: keyOf(row), token };
});

export const listApiKeys = verb(async function listApiKeys(args: {
  ctx: ServiceContext;
}): Promise<ApiKeyDto[]> {
  return (await listRows(args.ctx.db)).map(keyOf);
});

/** Revokes the live key with this id or name. */
export const revokeApiKey = verb(async function revokeApiKey(args: {
  ctx: ServiceContext;
  input: { idOrName: string };
}): Promise<ApiKeyDto> {
  const row = await revokeRow(args.ctx.db, args.input.idOrName);
  if (!row) throw new NotFoundError(`no live key with id or name ${JSON.stringify(args.input.idOrName)}`);
  return keyOf(row);
});
