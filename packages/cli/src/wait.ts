import cliProgress from "cli-progress";
import type { AnalysisProgress, Client } from "./api.js";

const POLL_MS = 1_000;
/** Without a terminal (CI logs): one line this often, not a line per poll. */
const PLAIN_LINE_MS = 5_000;

export class WaitTimeoutError extends Error {
  constructor(readonly progress: AnalysisProgress | null) {
    super(
      progress
        ? `timed out waiting for the analysis of scan ${progress.scan_id}: still ${progress.by_status.pending} pending and ${progress.by_status.processing} processing (${done(progress)} of ${requested(progress)} done, ${progress.by_status.failed} failed)`
        : "timed out before the analysis progress could be read",
    );
  }
}

const requested = (p: AnalysisProgress) => p.findings - p.by_status.not_requested;
const done = (p: AnalysisProgress) => p.by_status.completed + p.by_status.failed;
const settled = (p: AnalysisProgress) => p.by_status.pending === 0 && p.by_status.processing === 0;

function eta(p: AnalysisProgress): string {
  if (p.eta_seconds === null) return "unknown";
  const s = p.eta_seconds;
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m`
    : s >= 60
      ? `${Math.round(s / 60)}m`
      : `${s}s`;
}

function line(p: AnalysisProgress): string {
  const b = p.by_status;
  return `analysis of scan ${p.scan_id}: ${done(p)}/${requested(p)} done (${b.pending} pending, ${b.processing} processing, ${b.failed} failed), eta ${eta(p)}`;
}

/**
 * Polls the scan's analysis until nothing is pending or processing (every requested finding is
 * completed or failed), or the deadline passes. A bar on a terminal, a plain line every few seconds
 * otherwise; both on stderr, which leaves stdout to the result.
 */
export async function waitForAnalysis(
  client: Client,
  scanId: number,
  deadline: number,
  stderr: NodeJS.WriteStream,
): Promise<AnalysisProgress> {
  const bar = stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: stderr,
          format:
            "analysis |{bar}| {value}/{total} · {pending} pending · {processing} processing · {failed} failed · eta {remaining}",
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let lastLine = 0;
  let last: AnalysisProgress | null = null;
  try {
    for (;;) {
      const progress = await client.analysisProgress(String(scanId)).catch((error: unknown) => {
        // Past the deadline a request is refused outright: that is the timeout, not a network fault.
        if (Date.now() >= deadline) throw new WaitTimeoutError(last);
        throw error;
      });
      last = progress;
      const fields = {
        pending: progress.by_status.pending,
        processing: progress.by_status.processing,
        failed: progress.by_status.failed,
        remaining: eta(progress),
      };
      if (bar) {
        if (lastLine === 0) bar.start(requested(progress), done(progress), fields);
        else bar.update(done(progress), fields);
        bar.setTotal(requested(progress));
        lastLine = Date.now();
      } else if (settled(progress) || Date.now() - lastLine >= PLAIN_LINE_MS) {
        stderr.write(`${line(progress)}\n`);
        lastLine = Date.now();
      }
      if (settled(progress)) return progress;
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeoutError(progress);
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
    }
  } finally {
    bar?.stop();
  }
}
