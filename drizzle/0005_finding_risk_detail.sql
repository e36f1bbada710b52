ALTER TABLE "container_findings" ADD COLUMN "risk_detail" jsonb;--> statement-breakpoint
-- Scans enriched before this column existed are enriched again by the reconciler, which fetches
-- nothing still fresh and stores each finding's explained risk.
UPDATE "container_scans" SET "enriched_at" = NULL WHERE "enriched_at" IS NOT NULL;
