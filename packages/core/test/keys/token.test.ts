import { describe, expect, it } from "vitest";
import { grants, SCOPES } from "../../src/keys/scopes.js";
import { newToken, parseToken, secretMatches } from "../../src/keys/token.js";

describe("API key tokens", () => {
  const made = Array.from({ length: 300 }, () => newToken());

  it("are unique, parse back to their parts, and match only their own hash", () => {
    expect(new Set(made.map((t) => t.token)).size).toBe(made.length);
    expect(new Set(made.map((t) => t.publicId)).size).toBe(made.length);
    for (const { token, publicId, secretHash } of made.slice(0, 50)) {
      const parsed = parseToken(token);
      expect(parsed?.publicId).toBe(publicId);
      expect(secretMatches(parsed?.secret as string, secretHash)).toBe(true);
      expect(secretMatches(parsed?.secret as string, made[made.length - 1]?.secretHash as string)).toBe(
        false,
      );
    }
  });

  it("carry at least 128 bits of secret and store none of it", () => {
    for (const { token, secretHash } of made.slice(0, 20)) {
      const secret = parseToken(token)?.secret as string;
      expect(secret.length * 4).toBeGreaterThanOrEqual(128);
      expect(secretHash).not.toContain(secret);
      expect(secretHash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("refuse every single-character change, and secrets of any other length, without throwing", () => {
    const { token, secretHash } = made[0] as (typeof made)[number];
    const secret = parseToken(token)?.secret as string;
    for (let i = 0; i < secret.length; i++) {
      const changed = secret.slice(0, i) + (secret[i] === "a" ? "b" : "a") + secret.slice(i + 1);
      expect(secretMatches(changed, secretHash)).toBe(false);
    }
    // The comparison is of digests, equal in length whatever was sent.
    for (const other of ["", "a", secret.slice(1), `${secret}0`, "x".repeat(10_000)])
      expect(secretMatches(other, secretHash)).toBe(false);
  });

  it("are not confused with other strings", () => {
    const { token } = made[1] as (typeof made)[number];
    for (const wrong of [
      "",
      token.toUpperCase(),
      token.replace("vt_", "vx_"),
      token.slice(0, -1),
      `${token}0`,
      token.replace(/_/g, "-"),
      `Bearer ${token}`,
    ])
      expect(parseToken(wrong)).toBeNull();
  });
});

describe("scopes", () => {
  it("grant what is held, and admin grants everything", () => {
    for (const needed of SCOPES) {
      expect(grants(["admin"], needed)).toBe(true);
      expect(grants([needed], needed)).toBe(true);
      for (const other of SCOPES.filter((s) => s !== needed && s !== "admin"))
        expect(grants([other], needed)).toBe(false);
      expect(grants([], needed)).toBe(false);
    }
  });
});
