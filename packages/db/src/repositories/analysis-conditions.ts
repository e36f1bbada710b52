import { isNull, or, type SQL, sql } from "drizzle-orm";
import { containerFindings as f } from "../schema/index.js";

/** Analysis statuses of findings someone waits for. */
export const WAITING: ("pending" | "processing")[] = ["pending", "processing"];

/** The finding has no prompt hash yet, or one computed under other settings. */
export function needsPromptHash(promptConfig: string): SQL {
  return or(isNull(f.llmPromptHash), sql`${f.llmPromptConfig} is distinct from ${promptConfig}`) as SQL;
}
