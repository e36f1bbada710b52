import { Type } from "typebox";

const NullableString = Type.Union([Type.String(), Type.Null()]);

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
  },
  { $id: "Scan", title: "Scan" },
);

export const scanRef = Type.Ref("Scan");
