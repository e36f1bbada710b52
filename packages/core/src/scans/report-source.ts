import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { FindingSource, StoredReport } from "@vulntriage/db";
import { type ParsedFinding, type ParsedScan, readTrivyReport } from "../trivy/parse-report.js";

const gzipAsync = promisify(gzip);

export type ReportInput = {
  /** The report's bytes (already inflated when it was sent gzip-encoded); a parser may take them over. */
  body: Buffer;
  /** The bytes as received when the client sent them gzip-encoded: stored as they are. */
  gzipBody?: Buffer | undefined;
  imageName?: string | undefined;
};

/** A report whose shape was checked, ready to stream its findings into insertScanStreaming. */
export type OpenedReport = {
  findings: FindingSource;
  /** Once every finding was streamed: the scan, and rows replacing already streamed ones. */
  finish: () => Promise<{ scan: ParsedScan; replacements: ParsedFinding[] }>;
  /** The original report, gzip-compressed, for storage. */
  report: Promise<StoredReport>;
  /** Frees what the parse holds; the upload is over (stored, refused or failed). */
  close: () => void;
};

/** Parses a report's shape (throwing its errors before anything is written) and opens its findings. */
export type ReportParser = (input: ReportInput) => Promise<OpenedReport>;

/** Parses on the calling thread: tools and tests; the API parses on threads of its own (parse-threads.ts). */
export const parseOnThisThread: ReportParser = async (input) => {
  const originalBytes = input.body.length;
  // Compress on the thread pool while the main thread parses; awaited only just before commit.
  const report: Promise<StoredReport> = input.gzipBody
    ? Promise.resolve({ content: input.gzipBody, contentEncoding: "gzip", originalBytes })
    : gzipAsync(input.body, { level: 1 }).then((content) => ({
        content,
        contentEncoding: "gzip",
        originalBytes,
      }));
  // A rejected compression must not surface as an unhandled rejection when parsing fails first.
  report.catch(() => {});
  const reader = readTrivyReport(input.body, { imageName: input.imageName });
  return {
    findings: reader.batches(),
    finish: async () => {
      const { scan, replacements } = reader.finish();
      return { scan, replacements };
    },
    report,
    close: () => {},
  };
};
