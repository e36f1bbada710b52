import { once } from "node:events";
import { count, desc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Database, DatabaseHandle } from "../client";
import { containerScanReports, containerScans } from "../schema";
import { copyJson, copyText, copyTextArray } from "./copy-text";

export type ScanRow = typeof containerScans.$inferSelect;
export type NewScan = Omit<typeof containerScans.$inferInsert, "id" | "ingestedAt">;

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

export async function findScanByHash(db: Database, reportHash: string): Promise<ScanRow | undefined> {
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

export type InsertScanResult = { inserted: true; scan: ScanRow } | { inserted: false; scan: ScanRow };

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
].join(", ");

const ROWS_PER_CHUNK = 500;

/**
 * Writes a scan, all its findings (one COPY) and the original report in one transaction. A report
 * hash that is already stored (or is being stored by a concurrent upload) writes nothing and
 * returns the existing scan: the unique index decides, not a prior read.
 */
export async function insertScanWithFindings(
  database: DatabaseHandle,
  scan: NewScan,
  findings: NewFinding[],
  report: Promise<StoredReport>,
): Promise<InsertScanResult> {
  const client = await database.pool.connect();
  let inTransaction = false;
  try {
    await client.query("begin");
    inTransaction = true;
    const tx = drizzle(client);
    const [row] = await tx
      .insert(containerScans)
      .values(scan)
      .onConflictDoNothing({ target: containerScans.reportHash })
      .returning();
    if (!row) {
      await client.query("rollback");
      inTransaction = false;
      const existing = await findScanByHash(database.db, scan.reportHash);
      if (!existing) throw new Error("report hash conflicted but no scan holds it");
      return { inserted: false, scan: existing };
    }
    await copyFindings(client, row.id, findings);
    const stored = await report;
    await tx.insert(containerScanReports).values({
      scanId: row.id,
      contentEncoding: stored.contentEncoding,
      originalBytes: stored.originalBytes,
      content: stored.content,
    });
    await client.query("commit");
    inTransaction = false;
    return { inserted: true, scan: row };
  } catch (error) {
    if (inTransaction) await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function copyFindings(client: pg.PoolClient, scanId: number, findings: NewFinding[]): Promise<void> {
  if (findings.length === 0) return;
  const stream = client.query(copyFrom(`copy container_findings (${FINDING_COLUMNS}) from stdin`));
  const finished = new Promise<void>((resolve, reject) => {
    stream.on("finish", resolve);
    stream.on("error", reject);
  });
  const prefix = `${scanId}\t`;
  for (let start = 0; start < findings.length; start += ROWS_PER_CHUNK) {
    let chunk = "";
    const end = Math.min(start + ROWS_PER_CHUNK, findings.length);
    for (let i = start; i < end; i++) chunk += prefix + copyRow(findings[i] as NewFinding);
    if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), finished]);
  }
  stream.end();
  await finished;
}

function copyRow(f: NewFinding): string {
  return `${f.identityHash}\t${copyText(f.vulnerabilityId)}\t${copyText(f.pkgName)}\t${copyText(f.pkgId)}\t${copyText(
    f.purl,
  )}\t${copyText(f.installedVersion)}\t${copyText(f.fixedVersion)}\t${copyText(f.status)}\t${f.severity}\t${
    f.severityRank
  }\t${copyText(f.target)}\t${copyText(f.class)}\t${copyText(f.type)}\t${copyText(f.pkgPath)}\t${copyText(
    f.title,
  )}\t${copyText(f.primaryUrl)}\t${copyJson(f.cvssJson)}\t${copyTextArray(f.cweIds)}\t${copyJson(f.cveDataJson)}\n`;
}
