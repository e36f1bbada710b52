import type { ScanRow } from "@vulntriage/db";
import { type Static, Type } from "typebox";
import { paged } from "../page.js";

const NullableString = Type.Union([Type.String(), Type.Null()]);

/** A scan as the API serves it: the one definition of its shape (the DTO type derives from it). */
export const ScanSchema = Type.Object(
  {
    id: Type.Integer(),
    report_hash: Type.String({ description: "SHA-256 of the image name and the report's canonical JSON" }),
    image_name: Type.Union([Type.String(), Type.Null()], {
      description: "image_name parameter, else ArtifactName, else derived from a legacy OS target",
    }),
    artifact_name: NullableString,
    artifact_type: NullableString,
    os_family: NullableString,
    os_name: NullableString,
    os_eosl: Type.Union([Type.Boolean(), Type.Null()]),
    schema_version: Type.Union([Type.Integer(), Type.Null()]),
    report_format: Type.Union([Type.Literal("v2"), Type.Literal("legacy")]),
    trivy_version: NullableString,
    report_created_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    ingested_at: Type.String({ format: "date-time" }),
    finding_count: Type.Integer(),
    critical_count: Type.Integer(),
    high_count: Type.Integer(),
    medium_count: Type.Integer(),
    low_count: Type.Integer(),
    unknown_count: Type.Integer(),
    kev_count: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: "Distinct vulnerabilities of the scan in CISA's KEV; null until the scan is enriched",
    }),
    max_risk_score: Type.Union([Type.Integer({ minimum: 1, maximum: 10 }), Type.Null()], {
      description:
        "The highest deterministic risk score among its findings; null until enriched or when empty",
    }),
  },
  { $id: "Scan", title: "Scan" },
);

export type ScanDto = Static<typeof ScanSchema>;

const SkippedCount = (what: string) =>
  Type.Integer({ minimum: 0, description: `Entries of the results' ${what} arrays` });

/** What a report held besides vulnerabilities: counted, not stored as findings. */
export const SkippedSchema = Type.Object(
  {
    misconfigurations: SkippedCount("Misconfigurations"),
    secrets: SkippedCount("Secrets"),
    licenses: SkippedCount("Licenses"),
  },
  {
    $id: "Skipped",
    title: "Skipped",
    description:
      "Entries of the report that vulntriage does not ingest (it stores vulnerabilities only), counted across Results",
  },
);

export type SkippedDto = Static<typeof SkippedSchema>;

/** Null for a scan stored before the counts were kept. */
export function skippedOf(row: ScanRow): SkippedDto | null {
  if (row.skippedMisconfigurations === null || row.skippedSecrets === null || row.skippedLicenses === null) {
    return null;
  }
  return {
    misconfigurations: row.skippedMisconfigurations,
    secrets: row.skippedSecrets,
    licenses: row.skippedLicenses,
  };
}

export const ScanPageSchema = paged(Type.Ref("Scan"), "ScanPage");
export type ScanPage = Static<typeof ScanPageSchema, { Scan: typeof ScanSchema }>;

export function toScanDto(row: ScanRow): ScanDto {
  return {
    id: row.id,
    report_hash: row.reportHash,
    image_name: row.imageName,
    artifact_name: row.artifactName,
    artifact_type: row.artifactType,
    os_family: row.osFamily,
    os_name: row.osName,
    os_eosl: row.osEosl,
    schema_version: row.schemaVersion,
    // Only the insert's own transaction ever sees its placeholder format; stored scans are v2 or legacy.
    report_format: row.reportFormat as ScanDto["report_format"],
    trivy_version: row.trivyVersion,
    report_created_at: row.reportCreatedAt?.toISOString() ?? null,
    ingested_at: row.ingestedAt.toISOString(),
    finding_count: row.findingCount,
    critical_count: row.criticalCount,
    high_count: row.highCount,
    medium_count: row.mediumCount,
    low_count: row.lowCount,
    unknown_count: row.unknownCount,
    kev_count: row.kevCount,
    max_risk_score: row.maxRiskScore,
  };
}
