import type { Queue } from "bullmq";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** What an upload came to: one bounded label set (see README, Metrics). */
const UPLOAD_OUTCOMES = ["created", "duplicate", "refused", "busy", "failed"] as const;
type UploadOutcome = (typeof UPLOAD_OUTCOMES)[number];

/**
 * What one request to an Ollama server came to. `success`/`repaired`/`invalid` are judged on the
 * answer (to the question, to the repair turn, unusable); the rest are failures of the request.
 */
const LLM_OUTCOMES = [
  "success",
  "repaired",
  "invalid",
  "timeout",
  "unavailable",
  "model_missing",
  "error",
  "aborted",
] as const;
export type LlmOutcome = (typeof LLM_OUTCOMES)[number];

/** Where a question was answered from the prompt-hash cache instead of being asked. */
const CACHE_HIT_SITES = ["analyze", "prepare", "job"] as const;
type CacheHitSite = (typeof CACHE_HIT_SITES)[number];

// BullMQ's job states as getJobCounts names them.
const QUEUE_STATES = [
  "waiting",
  "active",
  "delayed",
  "prioritized",
  "waiting-children",
  "completed",
  "failed",
] as const;

// A scrape must answer even when Redis does not.
const QUEUE_SCRAPE_TIMEOUT_MS = 1_000;

/**
 * The counters the services update on their hot paths. Every label value is bound once here, so an
 * update is one increment on a prepared child: no label object per request.
 */
export type Metrics = {
  registry: Registry;
  upload: (outcome: UploadOutcome) => void;
  /** A stored or recognised upload: its duration and, when new, the findings it stored. */
  ingested: (outcome: "created" | "duplicate", seconds: number, findings: number) => void;
  llmRequest: (outcome: LlmOutcome, seconds: number | null) => void;
  cacheHits: (site: CacheHitSite, questions: number) => void;
};

export type MetricsOptions = {
  /** Queues whose job counts are read at each scrape. */
  queues?: Queue[];
  /** prom-client's process metrics (CPU, memory, event loop, GC); default true. */
  defaultMetrics?: boolean;
  /** Added to every series, e.g. { process: "worker" }. */
  labels?: Record<string, string>;
};

/** One registry per process (and per app in tests): nothing goes through prom-client's global one. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const uploads = new Counter({
    name: "vulntriage_uploads_total",
    help: "Report uploads by outcome: created, duplicate, refused (4xx), busy (503 at the upload cap), failed (5xx)",
    labelNames: ["outcome"],
    registers,
  });
  const findings = new Counter({
    name: "vulntriage_findings_ingested_total",
    help: "Findings stored by uploads that created a scan",
    registers,
  });
  const ingest = new Histogram({
    name: "vulntriage_ingest_duration_seconds",
    help: "Time from a received upload body to its answer (hash, parse, COPY, commit), per successful upload",
    labelNames: ["outcome"],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
    registers,
  });
  const llm = new Counter({
    name: "vulntriage_llm_requests_total",
    help: "Requests to Ollama by outcome: success, repaired, invalid (unusable answer), timeout, unavailable, model_missing, error, aborted",
    labelNames: ["outcome"],
    registers,
  });
  const llmDuration = new Histogram({
    name: "vulntriage_llm_request_duration_seconds",
    help: "Time Ollama took to give a complete answer (usable or not)",
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
    registers,
  });
  const cache = new Counter({
    name: "vulntriage_analysis_cache_hits_total",
    help: "Questions answered from the prompt-hash cache instead of asking the model, by where: analyze (API), prepare, job (worker)",
    labelNames: ["site"],
    registers,
  });

  const queues = options.queues ?? [];
  if (queues.length > 0) {
    // Both gauges are collected at once by a scrape: they share one read of the counts.
    let reading: Promise<(Record<string, number> | null)[]> | null = null;
    const read = () => {
      reading ??= Promise.all(queues.map(jobCounts)).finally(() => {
        reading = null;
      });
      return reading;
    };
    new Gauge({
      name: "vulntriage_queue_up",
      help: "1 when the queue's job counts could be read at this scrape, 0 when Redis did not answer in time",
      labelNames: ["queue"],
      registers,
      async collect() {
        const counts = await read();
        queues.forEach((queue, i) => {
          this.set({ queue: queue.name }, counts[i] ? 1 : 0);
        });
      },
    });
    new Gauge({
      name: "vulntriage_queue_jobs",
      help: "Jobs per queue and state, read from BullMQ at scrape time (absent for a queue whose Redis did not answer)",
      labelNames: ["queue", "state"],
      registers,
      async collect() {
        const counts = await read();
        this.reset();
        queues.forEach((queue, i) => {
          const of = counts[i];
          if (!of) return;
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, of[state] ?? 0);
        });
      },
    });
  }

  const byOutcome = Object.fromEntries(UPLOAD_OUTCOMES.map((o) => [o, uploads.labels(o)])) as Record<
    UploadOutcome,
    Counter.Internal
  >;
  const ingestBy = { created: ingest.labels("created"), duplicate: ingest.labels("duplicate") };
  const llmBy = Object.fromEntries(LLM_OUTCOMES.map((o) => [o, llm.labels(o)])) as Record<
    LlmOutcome,
    Counter.Internal
  >;
  const cacheBy = Object.fromEntries(CACHE_HIT_SITES.map((s) => [s, cache.labels(s)])) as Record<
    CacheHitSite,
    Counter.Internal
  >;
  // Every series exists from the start at 0, so rate() and absent() behave before the first event.
  for (const child of Object.values(byOutcome)) child.inc(0);
  for (const child of Object.values(llmBy)) child.inc(0);
  for (const child of Object.values(cacheBy)) child.inc(0);

  return {
    registry,
    upload: (outcome) => byOutcome[outcome].inc(),
    ingested: (outcome, seconds, count) => {
      byOutcome[outcome].inc();
      ingestBy[outcome].observe(seconds);
      if (count > 0) findings.inc(count);
    },
    llmRequest: (outcome, seconds) => {
      llmBy[outcome].inc();
      if (seconds !== null) llmDuration.observe(seconds);
    },
    cacheHits: (site, questions) => {
      if (questions > 0) cacheBy[site].inc(questions);
    },
  };
}

async function jobCounts(queue: Queue): Promise<Record<string, number> | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), QUEUE_SCRAPE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([queue.getJobCounts(...QUEUE_STATES), late]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
