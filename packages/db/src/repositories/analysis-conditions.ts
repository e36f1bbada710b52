import { type SQL, sql } from "drizzle-orm";
import { containerFindings as f } from "../schema/index.js";

/** Analysis statuses of findings someone waits for. */
export const WAITING: ("pending" | "processing")[] = ["pending", "processing"];

/** The finding's stored prompt hash was computed under other settings (or none). */
export function computedUnderOtherSettings(promptConfig: string): SQL {
  return sql`${f.llmPromptConfig} is distinct from ${promptConfig}`;
}
