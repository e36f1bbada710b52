// Preloaded into the API by the overload bench (node --import): writes the main thread's event-loop
// delay to BENCH_LOOP_DELAY_FILE every 200 ms; creating BENCH_LOOP_DELAY_FILE.reset starts a new measurement
// (not a signal: close-with-grace treats SIGUSR2 as a shutdown).
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { isMainThread } from "node:worker_threads";

const file = process.env.BENCH_LOOP_DELAY_FILE;
if (isMainThread && file) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const write = () => {
    if (existsSync(`${file}.reset`)) {
      histogram.reset();
      rmSync(`${file}.reset`, { force: true });
    }
    writeFileSync(
      file,
      JSON.stringify({
        p50: histogram.percentile(50) / 1e6,
        p99: histogram.percentile(99) / 1e6,
        max: histogram.max / 1e6,
      }),
    );
  };
  setInterval(write, 200).unref();
}
