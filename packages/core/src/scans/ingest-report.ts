import { createHash } from "node:crypto";
import { findScanByUploadHash, insertScanStreaming, type NewScan, type ScanRow } from "@vulntriage/db";
import type { ServiceContext } from "../context.js";
import { InvalidRequestError } from "../errors.js";
import type { ParsedScan } from "../trivy/parse-report.js";
import { verb } from "../verb.js";
import { imageNameProblem } from "./image-name.js";
import { parseOnThisThread, type ReportInput, type ReportParser } from "./report-source.js";
import { type ScanDto, type SkippedDto, skippedOf, toScanDto } from "./scan-dto.js";

export type IngestReportInput = ReportInput;

export type IngestReportResult =
  | { duplicate: false; scan: ScanDto; findingsIngested: number; skipped: SkippedDto }
  | { duplicate: true; scan: ScanDto; skipped: SkippedDto | null };

const HASH_SLICE_BYTES = 1024 * 1024;

/** SHA-256 of a large body in slices, letting other requests run in between (20 MB takes ~20 ms). */
async function hashInSlices(body: Buffer): Promise<string> {
  const hasher = createHash("sha256");
  for (let start = 0; start < body.length; start += HASH_SLICE_BYTES) {
    hasher.update(body.subarray(start, start + HASH_SLICE_BYTES));
    if (start + HASH_SLICE_BYTES < body.length) await new Promise((resolve) => setImmediate(resolve));
  }
  return hasher.digest("hex");
}

export const ingestReport = verb(async function ingestReport(args: {
  ctx: ServiceContext;
  input: IngestReportInput;
}): Promise<IngestReportResult> {
  const { ctx, input } = args;
  const imageName = validateImageName(input.imageName);
  const { db } = ctx;

  // A CI retry sends the same bytes: recognise it before spending anything on parsing.
  const uploadHash = createHash("sha256")
    .update(`${JSON.stringify(imageName ?? null)}\n${await hashInSlices(input.body)}`)
    .digest("hex");
  const earlier = await findScanByUploadHash(db, uploadHash);
  if (earlier) return { duplicate: true, scan: toScanDto(earlier), skipped: skippedOf(earlier) };

  const store = async (parser: ReportParser) => {
    // It may have been stored while this upload waited for a slot.
    const stored = await findScanByUploadHash(db, uploadHash);
    if (stored) return { inserted: false, scan: stored };
    return storeReport(ctx, parser, uploadHash, { ...input, imageName });
  };
  // Identical uploads in flight at once wait for the first instead of each taking a slot.
  const { value: result, shared } = ctx.uploads
    ? await ctx.uploads.run(uploadHash, store)
    : { value: await store(parseOnThisThread), shared: false };
  if (!result.inserted || shared) {
    return { duplicate: true, scan: toScanDto(result.scan), skipped: skippedOf(result.scan) };
  }
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
  return {
    duplicate: false,
    scan: toScanDto(result.scan),
    findingsIngested: result.scan.findingCount,
    // Written by this very insert, so never null here.
    skipped: skippedOf(result.scan) ?? { misconfigurations: 0, secrets: 0, licenses: 0 },
  };
});

async function storeReport(
  ctx: ServiceContext,
  parser: ReportParser,
  uploadHash: string,
  input: ReportInput,
): Promise<{ inserted: boolean; scan: ScanRow }> {
  // Shape errors are thrown here, before any write; entry errors while streaming roll back.
  const report = await parser(input);
  try {
    return await insertScanStreaming(ctx.db, {
      uploadHash,
      findings: report.findings,
      finish: async () => {
        const { scan, replacements } = await report.finish();
        return { scan: toNewScan(scan), replacements };
      },
      report: report.report,
      pendingUpToRank: ctx.analysis.onIngest ? ctx.analysis.maxSeverityRank : null,
    });
  } finally {
    report.close();
  }
}

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
    skippedMisconfigurations: scan.skipped.misconfigurations,
    skippedSecrets: scan.skipped.secrets,
    skippedLicenses: scan.skipped.licenses,
  };
}

function validateImageName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim();
  const problem = imageNameProblem(trimmed);
  if (problem) throw new InvalidRequestError(`image_name ${problem}`);
  return trimmed;
}
