ALTER TABLE "llm_analyses" ADD COLUMN "repairs" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "llm_analyses" ADD COLUMN "first_raw_output" text;