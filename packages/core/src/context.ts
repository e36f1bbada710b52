import { type Executor, runInTransaction, type Transaction } from "@vulntriage/db";
import { type PromptSettings, promptConfigKey, promptSettings } from "./analysis/prompt.js";
import type { AnalysisQueue } from "./jobs.js";
import type { Metrics } from "./metrics.js";
import type { UploadGate } from "./scans/upload-gate.js";
import { type Severity, severityRank } from "./trivy/severity.js";

export type AnalysisSettings = {
  prompt: PromptSettings;
  /** promptConfigKey(prompt), computed once. */
  configKey: string;
  onIngest: boolean;
  /** Findings up to this severity rank (0 = CRITICAL) are analysed on ingest. */
  maxSeverityRank: number;
  /** How long preparing a scan's questions waits for its KEV and EPSS answers (ENRICHMENT_WAIT_MS). */
  enrichmentWaitMs: number;
};

export function analysisSettings(options: {
  model: string;
  analyzeOnIngest: boolean;
  analyzeMinSeverity: Severity;
  enrichmentWaitMs?: number;
}): AnalysisSettings {
  const prompt = promptSettings(options.model);
  return {
    prompt,
    configKey: promptConfigKey(prompt),
    onIngest: options.analyzeOnIngest,
    maxSeverityRank: severityRank(options.analyzeMinSeverity),
    enrichmentWaitMs: options.enrichmentWaitMs ?? 0,
  };
}

export type Logger = {
  warn: (details: object, message: string) => void;
  error: (details: object, message: string) => void;
  info: (details: object, message: string) => void;
  /** Where a failure's full details go (SQL, parameters, stacks); absent: nowhere. */
  debug?: (details: object, message: string) => void;
};

export const silentLogger: Logger = { warn: () => {}, error: () => {}, info: () => {} };

/** What every core verb needs from the outside world; the API and the worker each build one. */
export type ServiceContext = {
  /** The database, or a transaction the caller already opened. */
  db: Executor;
  analysis: AnalysisSettings;
  /** Absent only where nothing is ever enqueued (tools, some tests). */
  queue?: AnalysisQueue | undefined;
  log: Logger;
  /** The API's cap on uploads at once; absent (tools, tests), reports are parsed on this thread. */
  uploads?: UploadGate | undefined;
  /** A small pool of its own for /health, so a busy main pool never reads as a database down. */
  healthDb?: Executor | undefined;
  /** This process's Prometheus counters; absent, nothing is counted. */
  metrics?: Metrics | undefined;
};

/**
 * Runs `fn` in one transaction: the caller's, when `ctx.db` already is one, or a new one. Verbs that
 * write more than once go through here so that a failure never leaves half of their writes.
 */
export function withTransaction<T>(ctx: ServiceContext, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return runInTransaction(ctx.db, fn);
}
