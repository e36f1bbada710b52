import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { findScanByHash, insertScanWithFindings, type StoredReport } from "@vulntriage/db";
import type { ServiceContext } from "../context";
import { InvalidRequestError } from "../errors";
import { parseTrivyReport } from "../trivy/parse-report";
import { imageNameProblem } from "./image-name";
import { type ScanDto, toScanDto } from "./scan-dto";

const gzipAsync = promisify(gzip);

export type IngestReportInput = {
  /** The report's bytes (already inflated when it was sent gzip-encoded). */
  body: Buffer;
  /** The bytes as received when the client sent them gzip-encoded: stored as they are. */
  gzipBody?: Buffer | undefined;
  imageName?: string | undefined;
};

export type IngestReportResult =
  | { duplicate: false; scan: ScanDto; findingsIngested: number }
  | { duplicate: true; scan: ScanDto };

export async function ingestReport(args: {
  ctx: ServiceContext;
  input: IngestReportInput;
}): Promise<IngestReportResult> {
  const { ctx, input } = args;
  const imageName = validateImageName(input.imageName);
  // Compress on the thread pool while the main thread parses; awaited only just before commit.
  const stored: Promise<StoredReport> = input.gzipBody
    ? Promise.resolve({ content: input.gzipBody, contentEncoding: "gzip", originalBytes: input.body.length })
    : gzipAsync(input.body, { level: 1 }).then((content) => ({
        content,
        contentEncoding: "gzip",
        originalBytes: input.body.length,
      }));
  // A rejected compression must not surface as an unhandled rejection when parsing fails first.
  stored.catch(() => {});

  const parsed = parseTrivyReport(input.body, { imageName });
  const known = await findScanByHash(ctx.database.db, parsed.scan.reportHash);
  if (known) return { duplicate: true, scan: toScanDto(known) };

  const { scan } = parsed;
  const result = await insertScanWithFindings(
    ctx.database,
    {
      reportHash: scan.reportHash,
      imageName: scan.imageName,
      artifactName: scan.artifactName,
      artifactType: scan.artifactType,
      osFamily: scan.osFamily,
      osName: scan.osName,
      osEosl: scan.osEosl,
      schemaVersion: scan.schemaVersion,
      reportFormat: scan.reportFormat,
      trivyVersion: scan.trivyVersion,
      reportCreatedAt: scan.reportCreatedAt === null ? null : new Date(scan.reportCreatedAt),
      findingCount: scan.findingCount,
      criticalCount: scan.severityCounts.CRITICAL,
      highCount: scan.severityCounts.HIGH,
      mediumCount: scan.severityCounts.MEDIUM,
      lowCount: scan.severityCounts.LOW,
      unknownCount: scan.severityCounts.UNKNOWN,
    },
    parsed.findings,
    stored,
  );
  if (!result.inserted) return { duplicate: true, scan: toScanDto(result.scan) };
  return { duplicate: false, scan: toScanDto(result.scan), findingsIngested: scan.findingCount };
}

function validateImageName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim();
  const problem = imageNameProblem(trimmed);
  if (problem) throw new InvalidRequestError(`image_name ${problem}`);
  return trimmed;
}
