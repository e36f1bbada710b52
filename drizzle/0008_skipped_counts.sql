ALTER TABLE "container_scans" ADD COLUMN "skipped_misconfigurations" integer;--> statement-breakpoint
ALTER TABLE "container_scans" ADD COLUMN "skipped_secrets" integer;--> statement-breakpoint
ALTER TABLE "container_scans" ADD COLUMN "skipped_licenses" integer;