import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
});

export const containerScans = pgTable(
  "container_scans",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    reportHash: text("report_hash").notNull(),
    // SHA-256 of the image_name parameter and the body's bytes: a byte-identical re-upload (a CI
    // retry) is recognised before the report is even parsed.
    uploadHash: text("upload_hash"),
    imageName: text("image_name"),
    artifactName: text("artifact_name"),
    artifactType: text("artifact_type"),
    osFamily: text("os_family"),
    osName: text("os_name"),
    osEosl: boolean("os_eosl"),
    schemaVersion: integer("schema_version"),
    reportFormat: text("report_format").notNull(),
    trivyVersion: text("trivy_version"),
    reportCreatedAt: timestamp("report_created_at", { withTimezone: true, mode: "date" }),
    ingestedAt: timestamp("ingested_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    findingCount: integer("finding_count").notNull(),
    criticalCount: integer("critical_count").notNull(),
    highCount: integer("high_count").notNull(),
    mediumCount: integer("medium_count").notNull(),
    lowCount: integer("low_count").notNull(),
    unknownCount: integer("unknown_count").notNull(),
    // Entries of the report that are not vulnerabilities and are not stored, kept so a duplicate
    // upload answers the same counts without parsing again; null on scans stored before they were
    // counted.
    skippedMisconfigurations: integer("skipped_misconfigurations"),
    skippedSecrets: integer("skipped_secrets"),
    skippedLicenses: integer("skipped_licenses"),
    // Set once the scan's vulnerability ids have their cve_enrichment rows; until then the worker's
    // reconciler re-queues the enrichment job.
    enrichedAt: timestamp("enriched_at", { withTimezone: true, mode: "date" }),
    // Distinct KEV-listed vulnerabilities and the highest deterministic risk among the findings, as
    // of the last enrichment touching this scan; null until then.
    kevCount: integer("kev_count"),
    maxRiskScore: smallint("max_risk_score"),
  },
  (t) => [
    uniqueIndex("container_scans_report_hash_key").on(t.reportHash),
    index("container_scans_upload_hash_idx").on(t.uploadHash),
    index("container_scans_ingested_idx").on(t.ingestedAt.desc(), t.id.desc()),
    // An image's latest scan is its newest report (CreatedAt, else the ingest time), then the last
    // ingested: findLatestScanByImageName reads this index's first entry.
    index("container_scans_image_latest_idx").on(
      t.imageName,
      sql`coalesce(${t.reportCreatedAt}, ${t.ingestedAt}) desc`,
      // NULLS FIRST is what ORDER BY id DESC means; the planner needs the index to say the same.
      t.id.desc().nullsFirst(),
    ),
    index("container_scans_unenriched_idx").on(t.id).where(sql`${t.enrichedAt} is null`),
  ],
);

// The report exactly as uploaded (gzip), kept apart so scan lists never read it.
export const containerScanReports = pgTable("container_scan_reports", {
  scanId: bigint("scan_id", { mode: "number" })
    .primaryKey()
    .references(() => containerScans.id, { onDelete: "cascade" }),
  contentEncoding: text("content_encoding").notNull().default(sql`'gzip'`),
  originalBytes: integer("original_bytes").notNull(),
  content: bytea("content").notNull(),
});
