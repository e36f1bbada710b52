import {
  checkOllamaModel,
  createOllamaAnalyzer,
  loadConfigOrExit,
  openServiceContext,
} from "@vulntriage/core";
import { pino } from "pino";
import { startAnalysisWorker } from "./analysis-worker.js";

const config = loadConfigOrExit();
const log = pino({ level: config.logLevel, base: { process: "worker" } });
const { ctx, close } = await openServiceContext(config, "worker", log);
const running = startAnalysisWorker({
  ctx,
  analyzer: createOllamaAnalyzer({ host: config.ollamaHost, timeoutMs: config.llmTimeoutMs }),
  redisUrl: config.redisUrl,
  prefix: config.queuePrefix,
  concurrency: config.workerConcurrency,
  lockMs: config.workerLockMs,
  reconcileIntervalMs: config.reconcileIntervalMs,
  processingStaleMs: config.llmTimeoutMs + 2 * config.workerLockMs,
  shutdownTimeoutMs: config.workerShutdownTimeoutMs,
});
log.info(
  { model: config.ollamaModel, ollama: config.ollamaHost, concurrency: config.workerConcurrency },
  "worker started",
);
// Says once, at start, what would otherwise only show as failed or waiting analyses; the worker
// keeps running either way, since Ollama may come up or pull the model later.
void checkOllamaModel({ host: config.ollamaHost, model: config.ollamaModel }).then((problem) => {
  if (problem) log.warn({ ollama: config.ollamaHost, model: config.ollamaModel }, problem);
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "worker shutting down");
    await running.close();
    await close();
    process.exit(0);
  });
}
