CREATE TABLE "container_findings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"scan_id" bigint NOT NULL,
	"vulnerability_id" text,
	"pkg_name" text NOT NULL,
	"pkg_id" text,
	"purl" text,
	"installed_version" text,
	"fixed_version" text,
	"status" text,
	"identity_hash" text NOT NULL,
	"severity" text NOT NULL,
	"severity_rank" smallint NOT NULL,
	"target" text NOT NULL,
	"class" text,
	"type" text,
	"pkg_path" text,
	"title" text,
	"primary_url" text,
	"cvss" jsonb,
	"cwe_ids" text[],
	"cve_data" jsonb NOT NULL,
	"llm_analysis_summary" text,
	"llm_analysis_recommendations" jsonb,
	"llm_analysis_risk_score" integer,
	"llm_analysis_timestamp" timestamp with time zone,
	"llm_analysis_prompt_hash" text,
	"llm_analysis_status" text,
	"llm_analysis_error" text,
	CONSTRAINT "container_findings_identity_key" UNIQUE("scan_id","identity_hash"),
	CONSTRAINT "container_findings_severity_check" CHECK ("container_findings"."severity" in ('CRITICAL','HIGH','MEDIUM','LOW','UNKNOWN')),
	CONSTRAINT "container_findings_llm_status_check" CHECK ("container_findings"."llm_analysis_status" in ('pending','processing','completed','failed')),
	CONSTRAINT "container_findings_llm_risk_score_check" CHECK ("container_findings"."llm_analysis_risk_score" between 1 and 10)
);
--> statement-breakpoint
CREATE TABLE "container_scan_reports" (
	"scan_id" bigint PRIMARY KEY NOT NULL,
	"content_encoding" text DEFAULT 'gzip' NOT NULL,
	"original_bytes" integer NOT NULL,
	"content" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "container_scans" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"report_hash" text NOT NULL,
	"upload_hash" text,
	"image_name" text,
	"artifact_name" text,
	"artifact_type" text,
	"os_family" text,
	"os_name" text,
	"os_eosl" boolean,
	"schema_version" integer,
	"report_format" text NOT NULL,
	"trivy_version" text,
	"report_created_at" timestamp with time zone,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finding_count" integer NOT NULL,
	"critical_count" integer NOT NULL,
	"high_count" integer NOT NULL,
	"medium_count" integer NOT NULL,
	"low_count" integer NOT NULL,
	"unknown_count" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "container_findings" ADD CONSTRAINT "container_findings_scan_id_container_scans_id_fk" FOREIGN KEY ("scan_id") REFERENCES "public"."container_scans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "container_scan_reports" ADD CONSTRAINT "container_scan_reports_scan_id_container_scans_id_fk" FOREIGN KEY ("scan_id") REFERENCES "public"."container_scans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "container_findings_scan_severity_idx" ON "container_findings" USING btree ("scan_id","severity_rank","id");--> statement-breakpoint
CREATE UNIQUE INDEX "container_scans_report_hash_key" ON "container_scans" USING btree ("report_hash");--> statement-breakpoint
CREATE INDEX "container_scans_upload_hash_idx" ON "container_scans" USING btree ("upload_hash");--> statement-breakpoint
CREATE INDEX "container_scans_ingested_idx" ON "container_scans" USING btree ("ingested_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "container_scans_image_name_idx" ON "container_scans" USING btree ("image_name","ingested_at" DESC NULLS LAST,"id" DESC NULLS LAST);