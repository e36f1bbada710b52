import type { DatabaseHandle } from "@vulntriage/db";
import { generateReport } from "@vulntriage/test-utils/generate-report";
import { from as copyFrom } from "pg-copy-streams";
import { startApiProcess } from "./lib/api-process.js";
import { benchDatabaseUrl, freshDatabase } from "./lib/bench-database.js";
import { BENCH_REDIS_URL, deleteKeys, randomPrefix } from "./lib/redis-helper.js";
import { median, ms } from "./lib/stats.js";
import { timedUpload } from "./lib/upload.js";

const FINDINGS = Number(process.env.BENCH_FINDINGS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PORT = Number(process.env.BENCH_PORT ?? 3917);

const FLOOR_COLUMNS =
  "scan_id, identity_hash, vulnerability_id, pkg_name, pkg_id, purl, installed_version, fixed_version, status, " +
  "severity, severity_rank, target, class, type, pkg_path, title, primary_url, cvss, cwe_ids, cve_data";

const esc = (v: unknown): string =>
  v === undefined || v === null
    ? "\\N"
    : String(v).replace(
        /[\\\t\n\r]/g,
        (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c] as string,
      );

/** (a) The physical floor: JSON.parse of the bytes plus one COPY row per finding, nothing else. */
async function floor(database: DatabaseHandle, bytes: Buffer): Promise<number> {
  const started = performance.now();
  const report = JSON.parse(bytes.toString("utf8"));
  const client = await database.pool.connect();
  try {
    await client.query("begin");
    const stream = client.query(copyFrom(`copy bench_floor (${FLOOR_COLUMNS}) from stdin`));
    const done = new Promise((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", reject);
    });
    let row = 0;
    for (const result of report.Results) {
      let chunk = "";
      for (const v of result.Vulnerabilities ?? []) {
        const cwe = v.CweIDs ? `{${v.CweIDs.map((c: string) => `"${c}"`).join(",")}}` : null;
        chunk += `1\t${row++}\t${esc(v.VulnerabilityID)}\t${esc(v.PkgName)}\t${esc(v.PkgID)}\t${esc(v.PkgIdentifier?.PURL)}\t${esc(
          v.InstalledVersion,
        )}\t${esc(v.FixedVersion)}\t${esc(v.Status)}\t${v.Severity}\t0\t${esc(result.Target)}\t${esc(result.Class)}\t${esc(
          result.Type,
        )}\t${esc(v.PkgPath)}\t${esc(v.Title)}\t${esc(v.PrimaryURL)}\t${esc(v.CVSS ? JSON.stringify(v.CVSS) : null)}\t${esc(
          cwe,
        )}\t${esc(JSON.stringify(v))}\n`;
        if (chunk.length > 1 << 20) {
          stream.write(chunk);
          chunk = "";
        }
      }
      stream.write(chunk);
    }
    stream.end();
    await done;
    await client.query("commit");
  } finally {
    client.release();
  }
  return performance.now() - started;
}

async function reset(database: DatabaseHandle): Promise<void> {
  await database.pool.query("truncate container_scans, bench_floor cascade");
  await database.pool.query("checkpoint");
}

export async function benchIngest(): Promise<Record<string, number>> {
  const bytes = generateReport(FINDINGS);
  console.log(
    `\n## Ingest: ${FINDINGS} findings, ${(bytes.length / 1e6).toFixed(1)} MB pretty-printed report, ${ROUNDS} rounds`,
  );
  const database = await freshDatabase("vulntriage_bench_ingest");
  await database.pool.query(
    "create table bench_floor (like container_findings including defaults including indexes)",
  );
  // Analysis on ingest stays on, as users run it: findings are written pending and one job is queued.
  const prefix = randomPrefix();
  const api = await startApiProcess(
    {
      DATABASE_URL: benchDatabaseUrl("vulntriage_bench_ingest"),
      REDIS_URL: BENCH_REDIS_URL,
      QUEUE_PREFIX: prefix,
    },
    PORT,
  );
  try {
    // Warm both paths once so JIT compilation is not measured.
    await floor(database, bytes);
    await timedUpload(api.url, bytes, "warmup", 201);
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await reset(database);
      a.push(await floor(database, bytes));
      await reset(database);
      b.push(await timedUpload(api.url, bytes, `bench-${round}`, 201));
      c.push(await timedUpload(api.url, bytes, `bench-${round}`, 200));
    }
    const result = {
      floorMs: median(a),
      uploadMs: median(b),
      reuploadMs: median(c),
      uploadOverFloor: median(b) / median(a),
      reuploadOverUpload: median(c) / median(b),
      apiPeakRssMb: api.peakRssMb(),
    };
    console.log(
      `(a) JSON.parse + COPY floor      ${ms(result.floorMs)}   runs: ${a.map((v) => v.toFixed(0)).join(", ")}`,
    );
    console.log(
      `(b) HTTP upload until 201        ${ms(result.uploadMs)}   runs: ${b.map((v) => v.toFixed(0)).join(", ")}`,
    );
    console.log(
      `(c) identical re-upload (200)    ${ms(result.reuploadMs)}   runs: ${c.map((v) => v.toFixed(0)).join(", ")}`,
    );
    console.log(`(b)/(a) = ${result.uploadOverFloor.toFixed(2)}   (goal <= 1.25, limit 1.5)`);
    console.log(`(c)/(b) = ${result.reuploadOverUpload.toFixed(2)}   (goal <= 1.0)`);
    console.log(`API peak RSS ${result.apiPeakRssMb.toFixed(0)} MB`);
    return result;
  } finally {
    await api.stop();
    await database.drop();
    await deleteKeys(prefix);
  }
}
