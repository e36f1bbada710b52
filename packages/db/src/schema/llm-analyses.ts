import { sql } from "drizzle-orm";
import { check, integer, jsonb, pgTable, smallint, text, timestamp } from "drizzle-orm/pg-core";

// The content-addressed cache: one row per distinct prompt, shared by every finding that asks it.
export const llmAnalyses = pgTable(
  "llm_analyses",
  {
    promptHash: text("prompt_hash").primaryKey(),
    status: text("status").notNull(),
    templateVersion: text("template_version").notNull(),
    model: text("model").notNull(),
    summary: text("summary"),
    recommendations: jsonb("recommendations").$type<string[]>(),
    riskScore: integer("risk_score"),
    error: text("error"),
    rawOutput: text("raw_output"),
    // 1 when the first answer was unusable and the model was asked once more in the same
    // conversation; first_raw_output keeps that first answer.
    repairs: smallint("repairs").notNull().default(0),
    firstRawOutput: text("first_raw_output"),
    doneReason: text("done_reason"),
    promptTokens: integer("prompt_tokens"),
    outputTokens: integer("output_tokens"),
    durationMs: integer("duration_ms"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    check("llm_analyses_status_check", sql`${t.status} in ('completed', 'failed')`),
    check("llm_analyses_risk_score_check", sql`${t.riskScore} between 1 and 10`),
    // A completed analysis always has what the API promises.
    check(
      "llm_analyses_completed_check",
      sql`${t.status} <> 'completed' or (${t.summary} is not null and ${t.riskScore} is not null)`,
    ),
  ],
);
