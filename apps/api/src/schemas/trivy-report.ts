import { Type } from "typebox";

// The upload body as the OpenAPI document describes it, for generated clients and validating
// proxies. The route itself validates nothing against it: core reads the raw bytes (gzip or not)
// and answers 422 with the place and the reason of whatever it cannot store.

const entries = (what: string) =>
  Type.Optional(
    Type.Union([Type.Array(Type.Object({}, { additionalProperties: true })), Type.Null()], {
      description: `${what}: counted in the answer's \`skipped\`, not stored`,
    }),
  );

export const TrivyResultSchema = Type.Object(
  {
    Target: Type.String(),
    Class: Type.Optional(Type.String({ description: "os-pkgs, lang-pkgs, config, secret, license, …" })),
    Type: Type.Optional(Type.String({ description: "alpine, debian, npm, gomod, …" })),
    Vulnerabilities: Type.Optional(
      Type.Union([Type.Array(Type.Object({}, { additionalProperties: true })), Type.Null()], {
        description: "One finding per entry; legacy Trivy writes null for none",
      }),
    ),
    Misconfigurations: entries("Misconfigurations"),
    Secrets: entries("Secrets"),
    Licenses: entries("Licenses"),
  },
  { $id: "TrivyResult", title: "TrivyResult", additionalProperties: true },
);

export const TrivyReportSchema = Type.Object(
  {
    SchemaVersion: Type.Integer({ minimum: 2, maximum: 2, description: "Always 2 (Trivy ≥ 0.20)" }),
    ArtifactName: Type.Optional(Type.String({ description: "The image name, unless image_name is given" })),
    ArtifactType: Type.Optional(Type.String({ description: "container_image, filesystem, repository, …" })),
    CreatedAt: Type.Optional(Type.String({ format: "date-time" })),
    Metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
    Results: Type.Optional(Type.Array(Type.Ref("TrivyResult"))),
  },
  {
    $id: "TrivyReport",
    title: "TrivyReport",
    additionalProperties: true,
    description: "The output of `trivy image -f json` (SchemaVersion 2); every other key is kept as sent",
  },
);

export const LegacyTrivyReportSchema = Type.Union([Type.Array(Type.Ref("TrivyResult")), Type.Null()], {
  $id: "LegacyTrivyReport",
  title: "LegacyTrivyReport",
  description: "Trivy before 0.20: a bare array of results, or null for an empty scan",
});
