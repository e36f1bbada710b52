import { type SQL, sql } from "drizzle-orm";

/** A text[] parameter: one bound array however many values, not one placeholder each. */
export function textArray(values: string[]): SQL {
  return sql`${sql.param(values)}::text[]`;
}
