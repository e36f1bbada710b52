import { Ollama } from "ollama";
import { Agent, fetch as undiciFetch } from "undici";
import type { LlmOutcome, Metrics } from "../metrics.js";
import type { ChatMessage, PromptSettings } from "./prompt.js";

export type LlmAnswer = {
  content: string;
  /** "length" when the answer was cut off at num_predict: the caller decides what to do with it. */
  doneReason: string | null;
  promptTokens: number | null;
  outputTokens: number | null;
  durationMs: number | null;
};

/**
 * `unavailable`: the server is unreachable or overloaded (refused, reset, 5xx): an outage, not a
 * verdict on the question; `model-missing`: this server lacks the model (404); `retry`: worth one
 * more attempt (timeouts, a broken answer stream); `final`: asking again cannot help.
 */
export type LlmErrorKind = "unavailable" | "model-missing" | "retry" | "final";

export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "LlmError";
  }
}

export type Analyzer = {
  chat: (messages: ChatMessage[], settings: PromptSettings, signal?: AbortSignal) => Promise<LlmAnswer>;
};

// Ollama sends response headers only once it starts answering, and a long generation can outlast
// undici's fixed 300 s header and body timeouts: switch those off and apply our own deadline.
const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 });

// A model stuck repeating itself is cut off well before it fills memory.
const MAX_ANSWER_CHARS = 64_000;

export function createOllamaAnalyzer(options: {
  host: string;
  timeoutMs: number;
  /** Counts the requests that fail here; an answer is counted by whoever judges it. */
  metrics?: Metrics | undefined;
}): Analyzer {
  return {
    chat: async (messages, settings, signal) => {
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const fetchWithDeadline = ((input: Parameters<typeof undiciFetch>[0], init: RequestInit = {}) => {
        const signals = [deadline, signal, init.signal].filter((s): s is AbortSignal => Boolean(s));
        return undiciFetch(input, {
          ...(init as Parameters<typeof undiciFetch>[1]),
          dispatcher,
          signal: AbortSignal.any(signals),
        });
      }) as unknown as typeof fetch;
      const client = new Ollama({ host: options.host, fetch: fetchWithDeadline });
      const started = performance.now();
      try {
        const stream = await client.chat({
          model: settings.model,
          messages,
          stream: true,
          think: settings.think,
          options: settings.options,
        });
        let content = "";
        let last: { done_reason?: string; prompt_eval_count?: number; eval_count?: number } | undefined;
        for await (const part of stream) {
          content += part.message?.content ?? "";
          if (content.length > MAX_ANSWER_CHARS) {
            stream.abort();
            throw new LlmError("final", `the model's answer exceeded ${MAX_ANSWER_CHARS} characters`);
          }
          if (part.done) last = part;
        }
        return {
          content,
          doneReason: last?.done_reason ?? null,
          promptTokens: last?.prompt_eval_count ?? null,
          outputTokens: last?.eval_count ?? null,
          durationMs: Math.round(performance.now() - started),
        };
      } catch (error) {
        const llmError = classify(error, {
          host: options.host,
          model: settings.model,
          timeoutMs: options.timeoutMs,
          deadline,
        });
        options.metrics?.llmRequest(failureOutcome(llmError, deadline, signal), null);
        throw llmError;
      }
    },
  };
}

function failureOutcome(error: LlmError, deadline: AbortSignal, signal?: AbortSignal): LlmOutcome {
  if (deadline.aborted) return "timeout";
  if (signal?.aborted) return "aborted";
  if (error.kind === "unavailable") return "unavailable";
  if (error.kind === "model-missing") return "model_missing";
  return "error";
}

function classify(
  error: unknown,
  context: { host: string; model: string; timeoutMs: number; deadline: AbortSignal },
): LlmError {
  if (error instanceof LlmError) return error;
  const e = error as { name?: string; message?: string; status_code?: number; cause?: { code?: string } };
  // ollama's ResponseError is not exported: recognise it by shape.
  if (e?.name === "ResponseError" && typeof e.status_code === "number") {
    const status = e.status_code;
    if (status === 404) {
      return new LlmError(
        "model-missing",
        `model "${context.model}" is not available on ${context.host}: run \`ollama pull ${context.model}\` (Ollama said: ${e.message})`,
      );
    }
    if (status === 400) return new LlmError("final", `Ollama refused the request (400): ${e.message}`);
    if (status >= 500 || status === 429) {
      return new LlmError("unavailable", `Ollama at ${context.host} answered ${status}: ${e.message}`);
    }
    return new LlmError("retry", `Ollama answered ${status}: ${e.message}`);
  }
  if (context.deadline.aborted || e?.name === "TimeoutError") {
    return new LlmError("retry", `no complete answer within LLM_TIMEOUT_MS (${context.timeoutMs} ms)`);
  }
  if (e?.name === "AbortError")
    return new LlmError("retry", "the request to Ollama was aborted (worker shutting down)");
  const code = e?.cause?.code;
  if (code) return new LlmError("unavailable", `cannot reach Ollama at ${context.host}: ${code}`);
  return new LlmError("retry", `Ollama request failed: ${e?.message ?? String(error)}`);
}

// A start-up check must never hold the worker: an Ollama that accepts the connection and then
// says nothing is reported as unreachable.
const CHECK_TIMEOUT_MS = 5_000;

/** At worker start: for each server, undefined when it answers and has the model, else why not. */
export async function checkOllamaServers(options: {
  servers: { url: string }[];
  model: string;
}): Promise<{ url: string; problem: string | undefined }[]> {
  return Promise.all(
    options.servers.map(async ({ url }) => ({
      url,
      problem: await checkOllamaModel({ host: url, model: options.model }),
    })),
  );
}

/** Says plainly when one Ollama server is unreachable or lacks the model. */
export async function checkOllamaModel(options: {
  host: string;
  model: string;
}): Promise<string | undefined> {
  const { host, model } = options;
  try {
    const withTimeout = ((input: Parameters<typeof fetch>[0], init: RequestInit = {}) =>
      fetch(input, { ...init, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) })) as typeof fetch;
    const { models } = await new Ollama({ host, fetch: withTimeout }).list();
    const names = new Set(models.map((m) => m.name));
    if (names.has(model) || names.has(`${model}:latest`)) return undefined;
    return `model "${model}" is not pulled on ${host}: run \`ollama pull ${model}\`; analyses fail until it is`;
  } catch (error) {
    return `Ollama is not reachable at ${host} (${(error as Error).message}); analyses with model "${model}" wait and retry until it answers (and has the model: \`ollama pull ${model}\`)`;
  }
}
