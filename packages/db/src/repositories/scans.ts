import { randomUUID } from "node:crypto";
import { and, count, desc, eq, sql } from "drizzle-orm";
import { type Executor, type Transaction, withConnection } from "../client.js";
import { sqlState } from "../errors.js";
import { containerFindings, containerScanReports, containerScans } from "../schema/index.js";
import { copyFindings, type FindingSource, type NewFinding } from "./copy-findings.js";

export { encodeFindingRows, type FindingSource, type NewFinding } from "./copy-findings.js";

export type ScanRow = typeof containerScans.$inferSelect;
export type NewScan = Omit<typeof containerScans.$inferInsert, "id" | "ingestedAt" | "uploadHash">;

export type StoredReport = { content: Buffer; contentEncoding: "gzip"; originalBytes: number };

async function findScanByHash(db: Executor, reportHash: string): Promise<ScanRow | undefined> {
  const [row] = await db
    .select()
    .from(containerScans)
    .where(eq(containerScans.reportHash, reportHash))
    .limit(1);
  return row;
}

export async function findScanById(db: Executor, id: number): Promise<ScanRow | undefined> {
  const [row] = await db.select().from(containerScans).where(eq(containerScans.id, id)).limit(1);
  return row;
}

// The report's own time when it has one: an old report uploaded late is not the image's latest.
// The same expression as container_scans_image_latest_idx, so the index serves the order.
const newestFirst = sql`coalesce(${containerScans.reportCreatedAt}, ${containerScans.ingestedAt})`;

/** The newest report of an image (CreatedAt, else ingest time), the last ingested of equals. */
export async function findLatestScanByImageName(
  db: Executor,
  imageName: string,
): Promise<ScanRow | undefined> {
  const [row] = await db
    .select()
    .from(containerScans)
    .where(eq(containerScans.imageName, imageName))
    .orderBy(desc(newestFirst), desc(containerScans.id))
    .limit(1);
  return row;
}

export async function listScans(
  db: Executor,
  page: { limit: number; offset: number },
): Promise<{ rows: ScanRow[]; total: number }> {
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(containerScans)
      .orderBy(desc(containerScans.ingestedAt), desc(containerScans.id))
      .limit(page.limit)
      .offset(page.offset),
    db.select({ total: count() }).from(containerScans),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

export async function findScanByUploadHash(db: Executor, uploadHash: string): Promise<ScanRow | undefined> {
  const [row] = await db
    .select()
    .from(containerScans)
    .where(eq(containerScans.uploadHash, uploadHash))
    .limit(1);
  return row;
}

type ScanFinish = { scan: NewScan; replacements: NewFinding[] };

type InsertScanResult = { inserted: boolean; scan: ScanRow };

type StreamedScan = {
  uploadHash: string;
  /** Batches of new findings (or their COPY text); may throw, which rolls everything back. */
  findings: FindingSource;
  /** Called once every batch was read: the scan row, and rows replacing already streamed ones. */
  finish: () => ScanFinish | Promise<ScanFinish>;
  report: Promise<StoredReport>;
  /** Findings up to this severity rank start with analysis status pending; null: none do. */
  pendingUpToRank: number | null;
};

const UNIQUE_VIOLATION = "23505";

/** The report hash is already stored (or being stored by a concurrent upload that won). */
class ReportHashTaken extends Error {
  constructor(
    readonly reportHash: string,
    cause: unknown,
  ) {
    // The server's unique violation as the cause: the connection under it is still healthy.
    super("report hash already stored", { cause });
  }
}

/**
 * Writes a scan, all its findings and the original report in one transaction, streaming the
 * findings into one COPY while they are still being read. The scan row gets its report hash last:
 * if that hash is already stored (or being stored by a concurrent upload), the unique index
 * rejects it, everything is rolled back and the existing scan is returned.
 */
export async function insertScanStreaming(db: Executor, upload: StreamedScan): Promise<InsertScanResult> {
  try {
    return await withConnection(db, (tx, connection) =>
      writeScan(tx, upload, (scanId) =>
        copyFindings(connection, scanId, upload.findings, upload.pendingUpToRank),
      ),
    );
  } catch (error) {
    if (!(error instanceof ReportHashTaken)) throw error;
    const existing = await findScanByHash(db, error.reportHash);
    if (!existing) throw new Error("report hash conflicted but no scan holds it");
    return { inserted: false, scan: existing };
  }
}

async function writeScan(
  tx: Transaction,
  upload: StreamedScan,
  copy: (scanId: number) => Promise<void>,
): Promise<InsertScanResult> {
  // Raw: an advisory lock. Byte-identical uploads in flight at once wait here for each other
  // instead of all copying.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${upload.uploadHash}, 0))`);
  const earlier = await findScanByUploadHash(tx, upload.uploadHash);
  if (earlier) return { inserted: false, scan: earlier };

  const [placeholder] = await tx
    .insert(containerScans)
    .values({
      reportHash: `pending:${randomUUID()}`,
      uploadHash: upload.uploadHash,
      reportFormat: "pending",
      findingCount: 0,
      criticalCount: 0,
      highCount: 0,
      mediumCount: 0,
      lowCount: 0,
      unknownCount: 0,
    })
    .returning({ id: containerScans.id });
  const scanId = (placeholder as { id: number }).id;

  await copy(scanId);
  const { scan, replacements } = await upload.finish();
  for (const finding of replacements) await replaceFinding(tx, scanId, finding);

  let row: ScanRow | undefined;
  try {
    [row] = await tx.update(containerScans).set(scan).where(eq(containerScans.id, scanId)).returning();
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) throw new ReportHashTaken(scan.reportHash, error);
    throw error;
  }
  const stored = await upload.report;
  await tx.insert(containerScanReports).values({ scanId, ...stored });
  return { inserted: true, scan: row as ScanRow };
}

/** Of two conflicting repeats of one finding in a report, the later and fuller one wins. */
async function replaceFinding(tx: Transaction, scanId: number, finding: NewFinding): Promise<void> {
  const { identityHash, cvssJson, cveDataJson, ...columns } = finding;
  await tx
    .update(containerFindings)
    .set({ ...columns, cvss: sql`${cvssJson}::jsonb`, cveData: sql`${cveDataJson}::jsonb` })
    .where(and(eq(containerFindings.scanId, scanId), eq(containerFindings.identityHash, identityHash)));
}
