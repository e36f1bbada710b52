import type { OllamaServer } from "../config.js";
import type { Logger } from "../context.js";
import type { Metrics } from "../metrics.js";
import { type Analyzer, createOllamaAnalyzer, LlmError } from "./ollama-analyzer.js";

// Several Ollama servers behind one Analyzer. Each question goes to the least-loaded server that
// answers, never past a server's concurrency. A server that refuses connections or answers 5xx is
// set aside for a back-off period and the question is tried elsewhere at once; when no server
// answers, questions wait here, holding their job, until one does: an outage pauses the work
// instead of spending attempts, and is logged once, not once per question.

const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
// A server without the model is asked again this much later: someone may be pulling it.
const MODEL_MISSING_BACKOFF_MS = 60_000;

type ServerState = OllamaServer & {
  analyzer: Analyzer;
  inFlight: number;
  /** Consecutive outage errors; 0 while the server answers. */
  failures: number;
  downUntil: number;
  lacksModel: boolean;
  lastError: string | null;
};

export type OllamaPoolOptions = {
  servers: OllamaServer[];
  timeoutMs: number;
  log: Logger;
  /** Shortens the back-off periods in tests; default 1 s doubling to 30 s. */
  backoff?: { firstMs: number; maxMs: number };
  /** Counts every request that fails, per server. */
  metrics?: Metrics | undefined;
};

export type OllamaPool = Analyzer & {
  /** The highest number of answers each server generated at once, by URL. */
  peakInFlight: () => Record<string, number>;
};

export function createOllamaPool(options: OllamaPoolOptions): OllamaPool {
  const { log } = options;
  const backoff = options.backoff ?? { firstMs: BACKOFF_FIRST_MS, maxMs: BACKOFF_MAX_MS };
  const servers: ServerState[] = options.servers.map((server) => ({
    ...server,
    analyzer: createOllamaAnalyzer({
      host: server.url,
      timeoutMs: options.timeoutMs,
      metrics: options.metrics,
    }),
    inFlight: 0,
    failures: 0,
    downUntil: 0,
    lacksModel: false,
    lastError: null,
  }));
  const peaks = new Map<string, number>(servers.map((s) => [s.url, 0]));
  const waiters = new Set<() => void>();
  let paused = false;

  const wake = () => {
    for (const resume of [...waiters]) resume();
  };

  /** The least-loaded server with a free slot that is not set aside; one probe at a time after an outage. */
  const pick = (now: number): ServerState | undefined => {
    let best: ServerState | undefined;
    for (const server of servers) {
      if (server.downUntil > now) continue;
      const limit = server.failures > 0 || server.lacksModel ? 1 : server.concurrency;
      if (server.inFlight >= limit) continue;
      if (!best || server.inFlight / server.concurrency < best.inFlight / best.concurrency) best = server;
    }
    return best;
  };

  const acquire = async (signal?: AbortSignal): Promise<ServerState> => {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      const server = pick(now);
      if (server) {
        server.inFlight++;
        peaks.set(server.url, Math.max(peaks.get(server.url) ?? 0, server.inFlight));
        return server;
      }
      if (servers.every((s) => s.lacksModel && s.failures === 0)) {
        throw new LlmError("final", servers.map((s) => s.lastError).join("; "));
      }
      // Wait for a slot, for the end of the earliest back-off, or for the shutdown.
      const nextUp = Math.min(...servers.filter((s) => s.downUntil > now).map((s) => s.downUntil));
      await new Promise<void>((resolve) => {
        const done = () => {
          waiters.delete(done);
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = Number.isFinite(nextUp) ? setTimeout(done, Math.max(1, nextUp - now)) : undefined;
        waiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  };

  const setAside = (server: ServerState, error: LlmError) => {
    const wasUp = server.failures === 0 && !server.lacksModel;
    server.lastError = error.message;
    if (error.kind === "model-missing") {
      server.lacksModel = true;
      server.downUntil = Date.now() + MODEL_MISSING_BACKOFF_MS;
    } else {
      server.failures++;
      server.downUntil = Date.now() + Math.min(backoff.firstMs * 2 ** (server.failures - 1), backoff.maxMs);
    }
    if (wasUp)
      log.warn({ ollama: server.url, err: error.message }, "Ollama server set aside; retrying it later");
    const anyUp = servers.some((s) => s.failures === 0 && !s.lacksModel);
    if (!anyUp && !paused && servers.some((s) => s.failures > 0)) {
      paused = true;
      log.warn(
        { servers: servers.map((s) => ({ ollama: s.url, err: s.lastError })) },
        "no Ollama server is answering: analyses are paused and resume when one answers",
      );
    }
  };

  const recovered = (server: ServerState) => {
    if (server.failures > 0 || server.lacksModel)
      log.info({ ollama: server.url }, "Ollama server answers again");
    server.failures = 0;
    server.lacksModel = false;
    server.lastError = null;
    if (paused) {
      paused = false;
      log.info({ ollama: server.url }, "analyses resumed");
    }
  };

  return {
    chat: async (messages, settings, signal) => {
      for (;;) {
        const server = await acquire(signal);
        try {
          const answer = await server.analyzer.chat(messages, settings, signal);
          recovered(server);
          return answer;
        } catch (error) {
          const llmError =
            error instanceof LlmError
              ? error
              : new LlmError("retry", (error as Error).message ?? String(error));
          // An outage or a server without the model is that server's problem: ask another one.
          if ((llmError.kind === "unavailable" || llmError.kind === "model-missing") && !signal?.aborted) {
            setAside(server, llmError);
            continue;
          }
          throw llmError;
        } finally {
          server.inFlight--;
          wake();
        }
      }
    },
    peakInFlight: () => Object.fromEntries(peaks),
  };
}
