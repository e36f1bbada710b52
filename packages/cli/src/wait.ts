import cliProgress from "cli-progress";
import { type AnalysisProgress, ApiError, type Client, NetworkError } from "./api.js";

const POLL_MS = 1_000;
/** Between polls that failed: doubling from POLL_MS up to this, so an outage is not hammered. */
const MAX_FAILED_POLL_MS = 10_000;
/** Without a terminal (CI logs): one line this often, not a line per poll. */
const PLAIN_LINE_MS = 5_000;

export class WaitTimeoutError extends Error {
  constructor(
    readonly progress: AnalysisProgress | null,
    lastFailure?: string,
  ) {
    super(
      (progress
        ? `timed out waiting for the analysis of scan ${progress.scan_id}: still ${progress.by_status.pending} pending and ${progress.by_status.processing} processing (${done(progress)} of ${requested(progress)} done, ${progress.by_status.failed} failed)`
        : "timed out before the analysis progress could be read") +
        (lastFailure ? `; the last poll failed: ${lastFailure}` : ""),
    );
  }
}

/**
 * A poll that failed like this is asked again until the deadline: the API restarting behind its
 * load balancer (no answer, 502, 503, 504) must not fail a build that waits half an hour. A 4xx or
 * a 500 says something a retry will not change.
 */
function transientFailure(error: unknown): string | null {
  if (error instanceof NetworkError) return error.message;
  if (error instanceof ApiError && [502, 503, 504].includes(error.status))
    return `the server answered ${error.status} (${error.code}): ${error.message}`;
  return null;
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
  let lastFailure: string | undefined;
  let failedPolls = 0;
  try {
    for (;;) {
      let progress: AnalysisProgress;
      try {
        progress = await client.analysisProgress(String(scanId));
      } catch (error) {
        const failure = transientFailure(error);
        // Past the deadline a request is refused outright: that is the timeout, not a network fault;
        // what failed before it is the news.
        if (Date.now() >= deadline) throw new WaitTimeoutError(last, lastFailure);
        if (failure === null) throw error;
        if (lastFailure === undefined)
          stderr.write(`progress poll failed: ${failure}; asking again until the timeout\n`);
        lastFailure = failure;
        failedPolls++;
        const pause = Math.min(POLL_MS * 2 ** (failedPolls - 1), MAX_FAILED_POLL_MS, deadline - Date.now());
        await new Promise((resolve) => setTimeout(resolve, Math.max(pause, 0)));
        continue;
      }
      if (lastFailure !== undefined) {
        stderr.write(
          `progress poll answered again after ${failedPolls} failed ${failedPolls === 1 ? "try" : "tries"}\n`,
        );
        lastFailure = undefined;
        failedPolls = 0;
      }
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
