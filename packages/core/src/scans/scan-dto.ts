import type { ScanRow } from "@vulntriage/db";

export type ScanDto = {
  id: number;
  report_hash: string;
  image_name: string | null;
  artifact_name: string | null;
  artifact_type: string | null;
  os_family: string | null;
  os_name: string | null;
  os_eosl: boolean | null;
  schema_version: number | null;
  report_format: string;
  trivy_version: string | null;
  report_created_at: string | null;
  ingested_at: string;
  finding_count: number;
  critical_count: number;
  high_count: number;
  medium_count: number;
  low_count: number;
  unknown_count: number;
};

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
    report_format: row.reportFormat,
    trivy_version: row.trivyVersion,
    report_created_at: row.reportCreatedAt?.toISOString() ?? null,
    ingested_at: row.ingestedAt.toISOString(),
    finding_count: row.findingCount,
    critical_count: row.criticalCount,
    high_count: row.highCount,
    medium_count: row.mediumCount,
    low_count: row.lowCount,
    unknown_count: row.unknownCount,
  };
}
