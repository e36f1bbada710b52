// What a key may do. `admin` implies every other scope.
export const SCOPES = ["scans:write", "read", "analysis:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);

/** Whether a key holding `held` may act where `needed` is required. */
export function grants(held: readonly string[], needed: Scope): boolean {
  return held.includes("admin") || held.includes(needed);
}
