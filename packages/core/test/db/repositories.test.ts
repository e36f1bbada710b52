import { createHash } from "node:crypto";
import {
  claimPrompt,
  completeFromCache,
  type Executor,
  findFindingById,
  findLatestScanByImageName,
  findOpenPrompts,
  findPendingPromptsOfScan,
  findScanById,
  findScanByUploadHash,
  findScansToPrepare,
  getAnalysisState,
  insertScanStreaming,
  listFindings,
  listScanPromptSources,
  listScans,
  loadQuestionSources,
  markFindingPending,
  type NewFinding,
  runInTransaction,
  setPromptHashes,
  storeCompletedAnalysis,
} from "@vulntriage/db";
import { createTestDatabase, type TestDatabase } from "@vulntriage/test-utils";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analysisSettings, silentLogger, withTransaction } from "../../src/index.js";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

function finding(n: number): NewFinding {
  return {
    identityHash: sha(`finding-${n}`),
    vulnerabilityId: `CVE-2024-${1000 + n}`,
    pkgName: `pkg-${n}`,
    pkgId: null,
    purl: null,
    installedVersion: "1.0.0",
    fixedVersion: n % 2 ? "1.0.1" : null,
    status: n % 2 ? "fixed" : "affected",
    severity: "HIGH",
    severityRank: 1,
    target: "app (debian 12)",
    class: "os-pkgs",
    type: "debian",
    pkgPath: null,
    title: `issue ${n}`,
    primaryUrl: null,
    cvssJson: JSON.stringify({ nvd: { V3Score: 7.5 } }),
    cweIds: ["CWE-79"],
    cveDataJson: JSON.stringify({ VulnerabilityID: `CVE-2024-${1000 + n}`, Description: "tab\there" }),
  };
}

async function insertScan(db: Executor, tag: string, count: number, uploadTag = tag) {
  return insertScanStreaming(db, {
    uploadHash: sha(`upload-${uploadTag}`),
    findings: [Array.from({ length: count }, (_, i) => finding(i))],
    finish: () => ({
      scan: {
        reportHash: sha(`report-${tag}`),
        imageName: `registry.example/${tag}:1`,
        artifactName: null,
        artifactType: null,
        osFamily: "debian",
        osName: "12",
        osEosl: false,
        schemaVersion: 2,
        reportFormat: "v2",
        trivyVersion: null,
        reportCreatedAt: null,
        findingCount: count,
        criticalCount: 0,
        highCount: count,
        mediumCount: 0,
        lowCount: 0,
        unknownCount: 0,
      },
      replacements: [],
    }),
    report: Promise.resolve({ content: Buffer.from("x"), contentEncoding: "gzip", originalBytes: 1 }),
    pendingUpToRank: 4,
  });
}

function expectId(value: unknown) {
  expect(typeof value).toBe("number");
  expect(Number.isSafeInteger(value)).toBe(true);
  expect(value as number).toBeGreaterThan(0);
}

describe("ids read back through each repository", () => {
  it("should be numbers on every path, with the database and inside a transaction", async () => {
    const { db } = database;
    const inserted = await insertScan(db, "ids", 3);
    expect(inserted.inserted).toBe(true);
    const scanId = inserted.scan.id;
    expectId(scanId);

    for (const executor of [db, "transaction"] as const) {
      await runInTransaction(db, async (tx) => {
        const on: Executor = executor === "transaction" ? tx : db;
        expect((await findScanById(on, scanId))?.id).toBe(scanId);
        expect((await findScanByUploadHash(on, sha("upload-ids")))?.id).toBe(scanId);
        expect((await findLatestScanByImageName(on, "registry.example/ids:1"))?.id).toBe(scanId);
        const page = await listScans(on, { limit: 10, offset: 0 });
        expect(page.total).toBe(1);
        expectId(page.rows[0]?.id);

        const findings = await listFindings(on, { scanId, limit: 10, offset: 0 });
        expect(findings.total).toBe(3);
        for (const row of findings.rows) {
          expectId(row.id);
          expect(row.scanId).toBe(scanId);
        }
        const first = findings.rows[0];
        const detail = await findFindingById(on, first?.id as number);
        expect(detail?.id).toBe(first?.id);
        expect(detail?.scanId).toBe(scanId);

        const sources = await listScanPromptSources(on, scanId, "config-a");
        expect(sources).toHaveLength(3);
        for (const row of sources) {
          expectId(row.id);
          expect(row.unprepared).toBe(true);
        }
        const question = await loadQuestionSources(on, first?.id as number);
        expect(question.map((r) => r.id)).toContain(first?.id);
        expect(await findScansToPrepare(on, "config-a")).toEqual([scanId]);
        expect((await getAnalysisState(on, first?.id as number))?.id).toBe(first?.id);
      });
    }

    // Drizzle's raw statements and the pool itself take the same parser.
    const raw = await db.execute<{ id: unknown; n: unknown }>(
      sql`select min(id) as id, count(*) as n from container_findings`,
    );
    expectId(raw.rows[0]?.id);
    expect(raw.rows[0]?.n).toBe(3);
    const pooled = await database.pool.query<{ id: unknown }>(
      "select scan_id as id from container_findings limit 1",
    );
    expect(pooled.rows[0]?.id).toBe(scanId);
  });

  it("should carry ids and ranks as numbers through the analysis steps", async () => {
    const { db } = database;
    const { scan } = await insertScan(db, "analysis", 2);
    const rows = await listScanPromptSources(db, scan.id, "config-b");
    await setPromptHashes(
      db,
      rows.map((r) => r.id),
      rows.map(() => "hash-b"),
      "config-b",
    );
    expect(await findPendingPromptsOfScan(db, scan.id, "config-b")).toEqual([
      { promptHash: "hash-b", severityRank: 1 },
    ]);
    expect(await findOpenPrompts(db, "config-b", new Date())).toEqual([
      { promptHash: "hash-b", severityRank: 1 },
    ]);
    const claimed = await claimPrompt(db, "hash-b");
    expect(claimed.map((r) => r.id)).toEqual(rows.map((r) => r.id).sort((a, b) => a - b));
    const copied = await storeCompletedAnalysis(db, {
      promptHash: "hash-b",
      templateVersion: "t",
      model: "m",
      summary: "s",
      recommendations: ["r"],
      riskScore: 5,
      rawOutput: "raw",
      doneReason: "stop",
      promptTokens: 10,
      outputTokens: 20,
      durationMs: 30,
      repairs: 0,
    });
    expect(copied).toBe(2);
    const state = await getAnalysisState(db, rows[0]?.id as number);
    expect(state).toMatchObject({
      id: rows[0]?.id,
      status: "completed",
      riskScore: 5,
      recommendations: ["r"],
    });
    expect(state?.analyzedAt).toBeInstanceOf(Date);
  });

  it("should refuse an int8 beyond 2^53 instead of rounding it", async () => {
    const failure = await database.db.execute(sql`select 9007199254740993::int8 as big`).catch((e) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).cause).toBeInstanceOf(RangeError);
    expect(((failure as Error).cause as Error).message).toMatch(
      /9007199254740993 does not fit a JavaScript number/,
    );
  });
});

describe(withTransaction.name, () => {
  it("should open one transaction for a verb, and join the caller's when ctx.db already is one", async () => {
    const ctx = {
      db: database.db,
      analysis: analysisSettings({ model: "m", analyzeOnIngest: false, analyzeMinSeverity: "UNKNOWN" }),
      log: silentLogger,
    };
    await expect(
      withTransaction(ctx, async (tx) => {
        await insertScan(tx, "verb", 1);
        await withTransaction({ ...ctx, db: tx }, async (inner) => {
          expect(inner).toBe(tx);
        });
        throw new Error("the verb's second write failed");
      }),
    ).rejects.toThrow("second write failed");
    expect(await findLatestScanByImageName(database.db, "registry.example/verb:1")).toBeUndefined();
  });
});

describe(runInTransaction.name, () => {
  it("should reuse an outer transaction and roll every write of it back together", async () => {
    const { db } = database;
    const before = await listScans(db, { limit: 1, offset: 0 });
    await expect(
      runInTransaction(db, async (outer) => {
        await runInTransaction(outer, async (inner) => {
          expect(inner).toBe(outer);
          // The streamed insert joins the transaction too (in a savepoint on the same connection).
          const { scan } = await insertScan(inner, "rolled-back", 2);
          await markFindingPending(
            inner,
            (await listFindings(inner, { scanId: scan.id, limit: 1, offset: 0 })).rows[0]?.id as number,
            "h",
            "c",
          );
          expect((await findScanById(outer, scan.id))?.findingCount).toBe(2);
        });
        throw new Error("abort the outer transaction");
      }),
    ).rejects.toThrow("abort the outer transaction");
    const after = await listScans(db, { limit: 1, offset: 0 });
    expect(after.total).toBe(before.total);
    expect(await findLatestScanByImageName(db, "registry.example/rolled-back:1")).toBeUndefined();
    expect((await completeFromCache(db, ["h"])).size).toBe(0);
  });

  it("should answer a report stored twice with the first scan, inside a transaction as well", async () => {
    const { db } = database;
    const first = await insertScan(db, "twice", 1);
    // Other bytes (another upload hash), same report: the report-hash index decides.
    const again = await runInTransaction(db, (tx) => insertScan(tx, "twice", 1, "twice, reformatted"));
    expect(again).toEqual({ inserted: false, scan: first.scan });
  });
});
