import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { count, desc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Database, DatabaseHandle } from "../client.js";
import { containerScanReports, containerScans } from "../schema/index.js";
import { copyJson, copyText, copyTextArray } from "./copy-text.js";

export type ScanRow = typeof containerScans.$inferSelect;
export type NewScan = Omit<typeof containerScans.$inferInsert, "id" | "ingestedAt" | "uploadHash">;

export type NewFinding = {
  identityHash: string;
  vulnerabilityId: string | null;
  pkgName: string;
  pkgId: string | null;
  purl: string | null;
  installedVersion: string | null;
  fixedVersion: string | null;
  status: string | null;
  severity: string;
  severityRank: number;
  target: string;
  class: string | null;
  type: string | null;
  pkgPath: string | null;
  title: string | null;
  primaryUrl: string | null;
  cvssJson: string | null;
  cweIds: string[] | null;
  cveDataJson: string;
};

export type StoredReport = { content: Buffer; contentEncoding: "gzip"; originalBytes: number };

async function findScanByHash(db: Database, reportHash: string): Promise<ScanRow | undefined> {
  const [row] = await db
    .select()
    .from(containerScans)
    .where(eq(containerScans.reportHash, reportHash))
    .limit(1);
  return row;
}

export async function findScanById(db: Database, id: number): Promise<ScanRow | undefined> {
  const [row] = await db.select().from(containerScans).where(eq(containerScans.id, id)).limit(1);
  return row;
}

export async function findLatestScanByImageName(
  db: Database,
  imageName: string,
): Promise<ScanRow | undefined> {
  const [row] = await db
    .select()
    .from(containerScans)
    .where(eq(containerScans.imageName, imageName))
    .orderBy(desc(containerScans.ingestedAt), desc(containerScans.id))
    .limit(1);
  return row;
}

export async function listScans(
  db: Database,
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

export type InsertScanResult = { inserted: boolean; scan: ScanRow };

export async function findScanByUploadHash(db: Database, uploadHash: string): Promise<ScanRow | undefined> {
  const [row] = await db
    .select()
    .from(containerScans)
    .where(eq(containerScans.uploadHash, uploadHash))
    .limit(1);
  return row;
}

const FINDING_COLUMNS = [
  "scan_id",
  "identity_hash",
  "vulnerability_id",
  "pkg_name",
  "pkg_id",
  "purl",
  "installed_version",
  "fixed_version",
  "status",
  "severity",
  "severity_rank",
  "target",
  "class",
  "type",
  "pkg_path",
  "title",
  "primary_url",
  "cvss",
  "cwe_ids",
  "cve_data",
  "llm_analysis_status",
].join(", ");

const UNIQUE_VIOLATION = "23505";
// Lets the row builder run ahead of PostgreSQL instead of waiting for each chunk to be consumed.
const COPY_BUFFER_BYTES = 16 * 1024 * 1024;

export type StreamedScan = {
  uploadHash: string;
  /** Batches of new findings; may throw, which rolls everything back. */
  findings: Iterable<NewFinding[]>;
  /** Called once every batch was read: the scan row, and rows replacing already streamed ones. */
  finish: () => { scan: NewScan; replacements: NewFinding[] };
  report: Promise<StoredReport>;
  /** Findings up to this severity rank start with analysis status pending; null: none do. */
  pendingUpToRank: number | null;
};

/**
 * Writes a scan, all its findings and the original report in one transaction, streaming the
 * findings into one COPY while they are still being read. The scan row gets its report hash last:
 * if that hash is already stored (or being stored by a concurrent upload), the unique index
 * rejects it, everything is rolled back and the existing scan is returned.
 */
export async function insertScanStreaming(
  database: DatabaseHandle,
  upload: StreamedScan,
): Promise<InsertScanResult> {
  const client = await database.pool.connect();
  let inTransaction = false;
  try {
    await client.query("begin");
    inTransaction = true;
    // Byte-identical uploads in flight at once wait here for each other instead of all copying.
    await client.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [upload.uploadHash]);
    const tx = drizzle(client);
    const [earlier] = await tx
      .select()
      .from(containerScans)
      .where(eq(containerScans.uploadHash, upload.uploadHash))
      .limit(1);
    if (earlier) {
      await client.query("rollback");
      inTransaction = false;
      return { inserted: false, scan: earlier };
    }
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

    await copyFindings(client, scanId, upload.findings, upload.pendingUpToRank);
    const { scan, replacements } = upload.finish();
    for (const finding of replacements) await replaceFinding(client, scanId, finding);

    let row: ScanRow | undefined;
    try {
      [row] = await tx.update(containerScans).set(scan).where(eq(containerScans.id, scanId)).returning();
    } catch (error) {
      if (pgErrorCode(error) !== UNIQUE_VIOLATION) throw error;
      await client.query("rollback");
      inTransaction = false;
      const existing = await findScanByHash(database.db, scan.reportHash);
      if (!existing) throw new Error("report hash conflicted but no scan holds it");
      return { inserted: false, scan: existing };
    }
    const stored = await upload.report;
    await tx.insert(containerScanReports).values({
      scanId,
      contentEncoding: stored.contentEncoding,
      originalBytes: stored.originalBytes,
      content: stored.content,
    });
    await client.query("commit");
    inTransaction = false;
    return { inserted: true, scan: row as ScanRow };
  } catch (error) {
    if (inTransaction) await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function copyFindings(
  client: pg.PoolClient,
  scanId: number,
  batches: Iterable<NewFinding[]>,
  pendingUpToRank: number | null,
): Promise<void> {
  const stream = client.query(
    copyFrom(`copy container_findings (${FINDING_COLUMNS}) from stdin`, { highWaterMark: COPY_BUFFER_BYTES }),
  );
  const finished = new Promise<void>((resolve, reject) => {
    stream.on("finish", resolve);
    stream.on("error", reject);
  });
  // A failed COPY rejects `finished` before anyone awaits it; the rejection is read below.
  finished.catch(() => {});
  const prefix = `${scanId}\t`;
  try {
    for (const batch of batches) {
      let chunk = "";
      for (const finding of batch) {
        const pending = pendingUpToRank !== null && finding.severityRank <= pendingUpToRank;
        chunk += `${prefix}${copyRow(finding)}\t${pending ? "pending" : "\\N"}\n`;
      }
      if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), finished]);
      // Let the socket flush while the next batch is built, so PostgreSQL works in parallel.
      else await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    // Sends CopyFail: PostgreSQL discards the rows and the transaction can be rolled back.
    stream.destroy(error as Error);
    await finished.catch(() => {});
    throw error;
  }
  stream.end();
  await finished;
}

async function replaceFinding(client: pg.PoolClient, scanId: number, f: NewFinding): Promise<void> {
  await client.query(
    `update container_findings set vulnerability_id = $3, pkg_name = $4, pkg_id = $5, purl = $6,
       installed_version = $7, fixed_version = $8, status = $9, severity = $10, severity_rank = $11,
       target = $12, class = $13, type = $14, pkg_path = $15, title = $16, primary_url = $17,
       cvss = $18::jsonb, cwe_ids = $19, cve_data = $20::jsonb
     where scan_id = $1 and identity_hash = $2`,
    [
      scanId,
      f.identityHash,
      f.vulnerabilityId,
      f.pkgName,
      f.pkgId,
      f.purl,
      f.installedVersion,
      f.fixedVersion,
      f.status,
      f.severity,
      f.severityRank,
      f.target,
      f.class,
      f.type,
      f.pkgPath,
      f.title,
      f.primaryUrl,
      f.cvssJson,
      f.cweIds,
      f.cveDataJson,
    ],
  );
}

function copyRow(f: NewFinding): string {
  return `${f.identityHash}\t${copyText(f.vulnerabilityId)}\t${copyText(f.pkgName)}\t${copyText(f.pkgId)}\t${copyText(
    f.purl,
  )}\t${copyText(f.installedVersion)}\t${copyText(f.fixedVersion)}\t${copyText(f.status)}\t${f.severity}\t${
    f.severityRank
  }\t${copyText(f.target)}\t${copyText(f.class)}\t${copyText(f.type)}\t${copyText(f.pkgPath)}\t${copyText(
    f.title,
  )}\t${copyText(f.primaryUrl)}\t${copyJson(f.cvssJson)}\t${copyTextArray(f.cweIds)}\t${copyJson(f.cveDataJson)}`;
}

/** drizzle wraps driver errors; the SQLSTATE sits on the error or on its cause. */
function pgErrorCode(error: unknown): string | undefined {
  const withCode = error as { code?: unknown; cause?: { code?: unknown } };
  const code = withCode.code ?? withCode.cause?.code;
  return typeof code === "string" ? code : undefined;
}
