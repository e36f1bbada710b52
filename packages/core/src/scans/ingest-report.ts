import { hash } from "node:crypto";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { findScanByUploadHash, insertScanStreaming, type NewScan, type StoredReport } from "@vulntriage/db";
import type { ServiceContext } from "../context.js";
import { InvalidRequestError } from "../errors.js";
import { type ParsedScan, readTrivyReport } from "../trivy/parse-report.js";
import { verb } from "../verb.js";
import { imageNameProblem } from "./image-name.js";
import { type ScanDto, toScanDto } from "./scan-dto.js";

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

export const ingestReport = verb(async function ingestReport(args: {
  ctx: ServiceContext;
  input: IngestReportInput;
}): Promise<IngestReportResult> {
  const { ctx, input } = args;
  const imageName = validateImageName(input.imageName);
  const { db } = ctx;

  // A CI retry sends the same bytes: recognise it before spending anything on parsing.
  const uploadHash = hash(
    "sha256",
    `${JSON.stringify(imageName ?? null)}\n${hash("sha256", input.body, "hex")}`,
    "hex",
  );
  const earlier = await findScanByUploadHash(db, uploadHash);
  if (earlier) return { duplicate: true, scan: toScanDto(earlier) };

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
  // Shape errors are thrown here, before any write; entry errors while streaming roll back.
  const reader = readTrivyReport(input.body, { imageName });

  const result = await insertScanStreaming(db, {
    uploadHash,
    findings: reader.batches(),
    finish: () => {
      const { scan, replacements } = reader.finish();
      return { scan: toNewScan(scan), replacements };
    },
    report: stored,
    pendingUpToRank: ctx.analysis.onIngest ? ctx.analysis.maxSeverityRank : null,
  });
  if (!result.inserted) return { duplicate: true, scan: toScanDto(result.scan) };
  if (ctx.queue) {
    try {
      // Enrichment first: preparing the questions waits a little for the scan's KEV and EPSS answers.
      await ctx.queue.enrichScan(result.scan.id);
      if (ctx.analysis.onIngest) await ctx.queue.preparedScan(result.scan.id);
    } catch (error) {
      // Everything is in PostgreSQL (pending findings, an unenriched scan); the worker's reconciler
      // enqueues it once Redis is back.
      ctx.log.warn({ scanId: result.scan.id, err: (error as Error).message }, "could not enqueue analysis");
    }
  }
  return { duplicate: false, scan: toScanDto(result.scan), findingsIngested: result.scan.findingCount };
});

function toNewScan(scan: ParsedScan): NewScan {
  return {
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
  };
}

function validateImageName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim();
  const problem = imageNameProblem(trimmed);
  if (problem) throw new InvalidRequestError(`image_name ${problem}`);
  return trimmed;
}
