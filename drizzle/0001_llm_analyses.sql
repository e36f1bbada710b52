CREATE TABLE "llm_analyses" (
	"prompt_hash" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"template_version" text NOT NULL,
	"model" text NOT NULL,
	"summary" text,
	"recommendations" jsonb,
	"risk_score" integer,
	"error" text,
	"raw_output" text,
	"done_reason" text,
	"prompt_tokens" integer,
	"output_tokens" integer,
	"duration_ms" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "llm_analyses_status_check" CHECK ("llm_analyses"."status" in ('completed', 'failed')),
	CONSTRAINT "llm_analyses_risk_score_check" CHECK ("llm_analyses"."risk_score" between 1 and 10),
	CONSTRAINT "llm_analyses_completed_check" CHECK ("llm_analyses"."status" <> 'completed' or ("llm_analyses"."summary" is not null and "llm_analyses"."risk_score" is not null))
);
--> statement-breakpoint
ALTER TABLE "container_findings" ADD COLUMN "llm_analysis_model" text;--> statement-breakpoint
ALTER TABLE "container_findings" ADD COLUMN "llm_prompt_hash" text;--> statement-breakpoint
ALTER TABLE "container_findings" ADD COLUMN "llm_prompt_config" text;--> statement-breakpoint
ALTER TABLE "container_findings" ADD COLUMN "llm_analysis_started_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "container_findings_prompt_hash_idx" ON "container_findings" USING btree ("llm_prompt_hash") WHERE "container_findings"."llm_prompt_hash" is not null;--> statement-breakpoint
CREATE INDEX "container_findings_analysis_open_idx" ON "container_findings" USING btree ("scan_id") WHERE "container_findings"."llm_analysis_status" in ('pending', 'processing');