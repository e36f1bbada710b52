import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateReport } from "@vulntriage/test-utils/generate-report";
import { startApiProcess } from "./lib/api-process.js";
import { benchDatabaseUrl, freshDatabase } from "./lib/bench-database.js";
import { machineLoad } from "./lib/machine-helper.js";
import { BENCH_REDIS_URL, deleteKeys, randomPrefix } from "./lib/redis-helper.js";
import { timedUpload } from "./lib/upload.js";

const FINDINGS = Number(process.env.BENCH_FINDINGS ?? 10_000);
const UPLOADS = Number(process.env.BENCH_OVERLOAD_UPLOADS ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 3937);

type LoopDelay = { p50: number; p99: number; max: number };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Asks /health back to back (20 ms apart) until `work` settles; each answer's latency. */
async function healthLatencies(
  url: string,
  work: Promise<unknown>,
): Promise<{ ms: number[]; not200: number }> {
  const ms: number[] = [];
  let not200 = 0;
  let done = false;
  // Both ways: a failed upload must reach the caller's await (and its cleanup), not crash here.
  const stop = () => {
    done = true;
  };
  work.then(stop, stop);
  while (!done) {
    const started = performance.now();
    const response = await fetch(`${url}/health`).catch(() => undefined);
    await response?.arrayBuffer();
    ms.push(performance.now() - started);
    if (response?.status !== 200) not200++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { ms, not200 };
}

/**
 * Ten distinct 10k-finding reports at once against the compiled API (MAX_CONCURRENT_UPLOADS 2;
 * a long UPLOAD_WAIT_MS so every one is admitted in turn), against the same ten one at a time.
 */
export async function benchOverload(): Promise<Record<string, number>> {
  const reports = Array.from({ length: UPLOADS }, (_, i) => generateReport(FINDINGS, 500 + i));
  const megabytes = reports.reduce((sum, r) => sum + r.length, 0) / 1e6;
  console.log(
    `\n## Overload: ${UPLOADS} distinct ${FINDINGS}-finding reports (${megabytes.toFixed(0)} MB), MAX_CONCURRENT_UPLOADS=2`,
  );
  const database = await freshDatabase("vulntriage_bench_overload");
  const prefix = randomPrefix();
  const loopFile = join(tmpdir(), `vt-loop-delay-${process.pid}.json`);
  const api = await startApiProcess(
    {
      DATABASE_URL: benchDatabaseUrl("vulntriage_bench_overload"),
      REDIS_URL: BENCH_REDIS_URL,
      QUEUE_PREFIX: prefix,
      UPLOAD_WAIT_MS: "600000",
      BENCH_LOOP_DELAY_FILE: loopFile,
    },
    PORT,
    ["--import", "./bench/lib/loop-delay-probe.mjs"],
  );
  const loopDelay = async (): Promise<LoopDelay> => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return JSON.parse(readFileSync(loopFile, "utf8")) as LoopDelay;
  };
  const newMeasurement = async () => {
    writeFileSync(`${loopFile}.reset`, "");
    await new Promise((resolve) => setTimeout(resolve, 400));
  };
  try {
    await timedUpload(api.url, generateReport(FINDINGS, 499), "warmup", 201);
    const reset = () => database.pool.query("truncate container_scans cascade");

    await reset();
    await newMeasurement();
    let load = machineLoad();
    const sequentialStart = performance.now();
    const serial = (async () => {
      for (const [i, r] of reports.entries()) await timedUpload(api.url, r, `serial-${i}`, 201);
    })();
    const serialHealth = await healthLatencies(api.url, serial);
    await serial;
    const sequentialMs = performance.now() - sequentialStart;
    const serialLoop = await loopDelay();
    const serialLoad = load();
    const serialRssMb = api.peakRssMb();

    await reset();
    await newMeasurement();
    load = machineLoad();
    const concurrentStart = performance.now();
    const together = Promise.all(reports.map((r, i) => timedUpload(api.url, r, `together-${i}`, 201)));
    const health = await healthLatencies(api.url, together);
    await together;
    const concurrentMs = performance.now() - concurrentStart;
    const loop = await loopDelay();
    const concurrentLoad = load();
    const peakRssMb = api.peakRssMb();

    const result = {
      sequentialMs,
      concurrentMs,
      throughputRatio: sequentialMs / concurrentMs,
      healthP50Ms: percentile(health.ms, 50),
      healthP99Ms: percentile(health.ms, 99),
      healthMaxMs: Math.max(...health.ms),
      healthNot200: health.not200,
      loopDelayP99Ms: loop.p99,
      loopDelayMaxMs: loop.max,
      peakRssMb,
    };
    console.log(
      `one at a time: ${(sequentialMs / 1000).toFixed(1)} s (${((UPLOADS * 1000) / sequentialMs).toFixed(2)} uploads/s); ` +
        `/health p99 ${percentile(serialHealth.ms, 99).toFixed(0)} ms; loop delay p99 ${serialLoop.p99.toFixed(0)} ms, ` +
        `max ${serialLoop.max.toFixed(0)} ms; ${serialLoad}`,
    );
    console.log(
      `all at once:   ${(concurrentMs / 1000).toFixed(1)} s (${((UPLOADS * 1000) / concurrentMs).toFixed(2)} uploads/s, ` +
        `${result.throughputRatio.toFixed(2)}× one at a time); ${concurrentLoad}`,
    );
    console.log(
      `/health during: ${health.ms.length} answers, p50 ${result.healthP50Ms.toFixed(0)} ms, p99 ` +
        `${result.healthP99Ms.toFixed(0)} ms (goal <= 100), max ${result.healthMaxMs.toFixed(0)} ms, not 200: ${health.not200}`,
    );
    console.log(
      `main-thread event-loop delay during: p99 ${loop.p99.toFixed(0)} ms, max ${loop.max.toFixed(0)} ms`,
    );
    console.log(
      `API peak RSS: ${peakRssMb.toFixed(0)} MB (after the one-at-a-time phase: ${serialRssMb.toFixed(0)} MB)`,
    );
    return result;
  } finally {
    await api.stop();
    await database.drop();
    await deleteKeys(prefix);
    rmSync(loopFile, { force: true });
    rmSync(`${loopFile}.reset`, { force: true });
  }
}
