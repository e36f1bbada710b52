ALTER TABLE "container_findings" ADD COLUMN "risk_score" smallint;--> statement-breakpoint
ALTER TABLE "container_scans" ADD COLUMN "kev_count" integer;--> statement-breakpoint
ALTER TABLE "container_scans" ADD COLUMN "max_risk_score" smallint;--> statement-breakpoint
CREATE INDEX "container_findings_vulnerability_idx" ON "container_findings" USING btree ("vulnerability_id");--> statement-breakpoint
CREATE INDEX "container_findings_scan_risk_idx" ON "container_findings" USING btree ("scan_id","risk_score" DESC NULLS LAST,"severity_rank","id");--> statement-breakpoint
ALTER TABLE "container_findings" ADD CONSTRAINT "container_findings_risk_score_check" CHECK ("container_findings"."risk_score" between 1 and 10);