import { sql } from "drizzle-orm";
import type { Executor } from "../client.js";

export async function pingDatabase(db: Executor): Promise<void> {
  // Raw: drizzle's select needs a table, and this asks the server only whether it answers.
  await db.execute(sql`select 1`);
}
