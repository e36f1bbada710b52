import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

// `vt_<public id>_<secret>`: the public id finds the row, the secret proves the holder. Hex only,
// so the token has no separator inside its parts and survives any shell or header unquoted.
const PUBLIC_ID_BYTES = 8;
const SECRET_BYTES = 24; // 192 bits
const TOKEN = /^vt_([0-9a-f]{16})_([0-9a-f]{48})$/;

export function newToken(): { token: string; publicId: string; secretHash: string } {
  const publicId = randomBytes(PUBLIC_ID_BYTES).toString("hex");
  const secret = randomBytes(SECRET_BYTES).toString("hex");
  return { token: `vt_${publicId}_${secret}`, publicId, secretHash: hashSecret(secret) };
}

export function parseToken(token: string): { publicId: string; secret: string } | null {
  const match = TOKEN.exec(token.trim());
  return match ? { publicId: match[1] as string, secret: match[2] as string } : null;
}

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Constant-time: how much of a guess is right never shows in the time taken. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return given.length === stored.length && timingSafeEqual(given, stored);
}
