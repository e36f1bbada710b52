import { createHash } from "node:crypto";
import { type Executor, insertScanStreaming, type NewFinding } from "@vulntriage/db";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
let scanNo = 0;

/** A scan holding one finding per [vulnerability id, Trivy CVSS map or null], written as ingest writes it. */
export async function scanOf(
  db: Executor,
  entries: [string, Record<string, unknown> | null][],
): Promise<number> {
  const n = ++scanNo;
  const finding = ([id, cvss]: [string, Record<string, unknown> | null], i: number): NewFinding => ({
    identityHash: sha(`${n}-${i}-${process.pid}-${Date.now()}`),
    vulnerabilityId: id,
    pkgName: `pkg-${i}`,
    pkgId: null,
    purl: null,
    installedVersion: "1.0.0",
    fixedVersion: "1.0.1",
    status: "fixed",
    severity: "MEDIUM",
    severityRank: 2,
    target: "app",
    class: "lang-pkgs",
    type: "npm",
    pkgPath: null,
    title: null,
    primaryUrl: null,
    cvssJson: cvss ? JSON.stringify(cvss) : null,
    cweIds: null,
    cveDataJson: JSON.stringify({ VulnerabilityID: id }),
  });
  const tag = `${n}-${process.pid}-${Date.now()}`;
  const { scan } = await insertScanStreaming(db, {
    uploadHash: sha(`upload-${tag}`),
    findings: [entries.map(finding)],
    finish: () => ({
      scan: {
        reportHash: sha(`report-${tag}`),
        imageName: `enrich/${tag}:1`,
        artifactName: null,
        artifactType: null,
        osFamily: null,
        osName: null,
        osEosl: null,
        schemaVersion: 2,
        reportFormat: "v2",
        trivyVersion: null,
        reportCreatedAt: null,
        findingCount: entries.length,
        criticalCount: 0,
        highCount: 0,
        mediumCount: entries.length,
        lowCount: 0,
        unknownCount: 0,
      },
      replacements: [],
    }),
    report: Promise.resolve({ content: Buffer.from("x"), contentEncoding: "gzip", originalBytes: 1 }),
    pendingUpToRank: null,
  });
  return scan.id;
}
