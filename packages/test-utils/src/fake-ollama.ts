/**
 * In-process fake of the Ollama HTTP API for tests (no Ollama, no model weights needed).
 * Wire format follows docs/api.md and server/routes.go; see /work/shared/notes/ollama.md §1 and §3.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { LlmAnswerCorpusEntry } from "./llm-answer-corpus.js";
import { llmAnswerCorpus } from "./llm-answer-corpus.js";

type FakeFault =
  /** Error status with a JSON `{"error": ...}` body, sent before any stream byte. */
  | { kind: "http"; status: 400 | 404 | 500 | 503; error?: string }
  /** Hold back the headers for `ms`, then answer normally. Ends early if the client or server closes. */
  | { kind: "delay"; ms: number }
  /** Stream tokens with `chunkDelayMs` between them (non-stream: the whole answer is delayed). */
  | { kind: "slow"; chunkDelayMs: number }
  /** Send `afterChunks` content chunks (default: half), then destroy the socket. */
  | { kind: "drop"; afterChunks?: number }
  /** Cut the answer off (default: 60% of its tokens) and report done_reason "length". */
  | { kind: "truncate"; keepChunks?: number }
  /** HTTP 200, `afterChunks` chunks (default: half), then an NDJSON `{"error"}` line. Non-stream: 500. */
  | { kind: "error-in-stream"; error: string; afterChunks?: number }
  /** Destroy the connection without writing a response. */
  | { kind: "refuse" };

export interface FakeOllamaRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when empty or malformed. */
  body: unknown;
  rawBody: string;
  /** Sequential id of the TCP connection that carried the request (see `openConnectionIds`). */
  connectionId: number;
  /** How the exchange ended; "pending" while the response is in progress. */
  outcome: "pending" | "completed" | "client-closed" | "server-closed";
}

/** What a responder sees for POST /api/chat and POST /api/generate. */
export interface FakeGenerationRequest {
  endpoint: "chat" | "generate";
  model: string;
  /** Last user message (chat) or `prompt` (generate); "" if none. */
  prompt: string;
  /** System message (chat) or `system` (generate). */
  system: string | undefined;
  stream: boolean;
  body: Record<string, unknown>;
}

type FakeResponder = (req: FakeGenerationRequest) => string | FakeFault | Promise<string | FakeFault>;

export interface FakeOllamaOptions {
  /** Installed model names; default ["llama3.2:3b"]. A name without a tag also matches "<name>:latest". */
  models?: readonly string[];
  /** Reported by GET /api/version; default "0.12.6". */
  version?: string;
}

export interface FakeOllama {
  /** http://127.0.0.1:<port>, for `new Ollama({ host: fake.url })`. */
  readonly url: string;
  /** Every request received, in arrival order (live array; cleared by reset()). */
  readonly requests: readonly FakeOllamaRequest[];
  /** Number of POST /api/chat requests received (any outcome). */
  readonly chatCalls: number;
  /** Number of POST /api/generate requests received (any outcome). */
  readonly generateCalls: number;
  /** Requests whose response has not finished or been closed yet. */
  readonly inFlight: number;
  /** The most requests in flight at once since start or reset(). */
  readonly peakInFlight: number;
  /** TCP connections currently open, including idle keep-alive ones the client's pool keeps. */
  readonly openConnections: number;
  /** Ids of the open connections, to check that a given request's socket was released. */
  readonly openConnectionIds: readonly number[];
  readonly models: readonly string[];
  /** Faults queued by queueFaults() and not consumed yet. */
  readonly pendingFaults: number;
  setModels(names: readonly string[]): void;
  /** Overrides the default corpus answer; null restores it. */
  setResponder(fn: FakeResponder | null): void;
  /** Fault applied to every chat/generate call until cleared with null (queued faults take precedence). */
  setFault(fault: FakeFault | null): void;
  /** The next N chat/generate calls get these faults in order, then behaviour returns to normal. */
  queueFaults(faults: readonly FakeFault[]): void;
  /** Clears the request log, counters, responder and faults (keeps models and the server). */
  reset(): void;
  /** Aborts pending work, destroys all sockets and stops listening. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ["llama3.2:3b"];
const DEFAULT_VERSION = "0.12.6";
const BUSY_ERROR = "server busy, please try again.  maximum pending requests exceeded";
const RUNNER_ERROR =
  "model runner has unexpectedly stopped, this may be due to resource limitations or an internal error, check ollama server logs for details";

/** The corpus entry the fake answers with by default for this user message (stable across runs). */
export function corpusEntryFor(prompt: string): LlmAnswerCorpusEntry {
  const index = createHash("sha256").update(prompt).digest().readUInt32BE(0) % llmAnswerCorpus.length;
  const entry = llmAnswerCorpus[index];
  if (!entry) throw new Error("llm answer corpus is empty");
  return entry;
}

/** Splits text into small word-sized pieces; code points are never split, and the pieces join back exactly. */
export function tokenizeAnswer(text: string): string[] {
  return text.match(/\s*\S{1,10}|\s+$/gu) ?? [];
}

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  let models = [...(options.models ?? DEFAULT_MODELS)];
  const version = options.version ?? DEFAULT_VERSION;
  const requests: FakeOllamaRequest[] = [];
  const sockets = new Map<Socket, number>();
  let nextConnectionId = 1;
  const shutdown = new AbortController();
  let chatCalls = 0;
  let generateCalls = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let responder: FakeResponder | null = null;
  let persistentFault: FakeFault | null = null;
  let faultQueue: FakeFault[] = [];
  let closing: Promise<void> | undefined;

  const findModel = (name: string): string | undefined => models.find((m) => withTag(m) === withTag(name));

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake must fail the test loudly, not hang it.
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, { error: `fake-ollama: ${err instanceof Error ? err.message : String(err)}` });
      } else {
        res.destroy();
      }
    });
  });
  server.on("connection", (socket) => {
    socket.setNoDelay(true);
    sockets.set(socket, nextConnectionId++);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const entry: FakeOllamaRequest = {
      method: req.method ?? "GET",
      path: new URL(req.url ?? "/", "http://fake").pathname,
      headers: req.headers,
      body: undefined,
      rawBody: "",
      connectionId: sockets.get(req.socket) ?? 0,
      outcome: "pending",
    };
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    const requestGone = new AbortController();
    let serverClosed = false;
    res.on("close", () => {
      inFlight--;
      if (res.writableFinished) entry.outcome = "completed";
      else entry.outcome = serverClosed || shutdown.signal.aborted ? "server-closed" : "client-closed";
      requestGone.abort();
    });
    const signal = AbortSignal.any([requestGone.signal, shutdown.signal]);
    const destroy = () => {
      serverClosed = true;
      res.destroy();
    };

    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // client went away while sending the body
    }
    entry.rawBody = Buffer.concat(chunks).toString("utf8");
    requests.push(entry);

    const route = `${entry.method} ${entry.path}`;
    if (route === "POST /api/chat") chatCalls++;
    if (route === "POST /api/generate") generateCalls++;

    switch (route) {
      case "GET /":
      case "HEAD /":
        return sendText(res, 200, "Ollama is running");
      case "GET /api/version":
      case "HEAD /api/version":
        return sendJson(res, 200, { version });
      case "GET /api/tags":
        return sendJson(res, 200, { models: models.map(describeModel) });
      case "POST /api/show":
      case "POST /api/chat":
      case "POST /api/generate":
        break;
      default:
        // gin's default for unknown routes is plain text, not JSON.
        return sendText(res, 404, "404 page not found");
    }

    if (entry.rawBody.trim() === "") return sendJson(res, 400, { error: "missing request body" });
    let parsed: unknown;
    try {
      parsed = JSON.parse(entry.rawBody);
    } catch (err) {
      return sendJson(res, 400, { error: (err as Error).message });
    }
    entry.body = parsed;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return sendJson(res, 400, { error: "json: cannot unmarshal request body into an object" });
    }
    const body = parsed as Record<string, unknown>;
    const model =
      typeof body.model === "string" ? body.model : typeof body.name === "string" ? body.name : "";

    if (entry.path === "/api/show") {
      if (!model || !findModel(model)) return sendJson(res, 404, { error: `model '${model}' not found` });
      return sendJson(res, 200, showResponse());
    }

    if (!model) return sendJson(res, 400, { error: "model is required" });
    if (!findModel(model)) {
      return sendJson(res, 404, { error: `model "${model}" not found, try pulling it first` });
    }

    const endpoint = entry.path === "/api/chat" ? "chat" : "generate";
    const genReq: FakeGenerationRequest = {
      endpoint,
      model,
      stream: body.stream !== false, // Ollama streams unless told otherwise
      body,
      ...promptOf(endpoint, body),
    };

    let fault: FakeFault | null = faultQueue.shift() ?? persistentFault;
    let answer: string | undefined;
    if (fault?.kind !== "http" && fault?.kind !== "refuse" && responder) {
      const result = await responder(genReq);
      if (typeof result === "string") answer = result;
      else fault ??= result;
    }
    answer ??= corpusEntryFor(genReq.prompt).answer;

    if (fault?.kind === "http") {
      return sendJson(res, fault.status, { error: fault.error ?? defaultError(fault.status, model) });
    }
    if (fault?.kind === "refuse") return destroy();
    if (fault?.kind === "delay" && !(await sleep(fault.ms, signal))) return;

    await generate({ res, signal, destroy, genReq, answer, fault, isChat: endpoint === "chat" });
  }

  interface GenerateArgs {
    res: ServerResponse;
    signal: AbortSignal;
    destroy: () => void;
    genReq: FakeGenerationRequest;
    answer: string;
    fault: FakeFault | null;
    isChat: boolean;
  }

  async function generate({ res, signal, destroy, genReq, answer, fault, isChat }: GenerateArgs) {
    const allTokens = tokenizeAnswer(answer);
    const numPredict = numberOption(genReq.body, "num_predict");
    let keep = allTokens.length;
    if (fault?.kind === "truncate") {
      keep = fault.keepChunks ?? Math.max(1, Math.floor(allTokens.length * 0.6));
    }
    if (numPredict !== undefined && numPredict > 0) keep = Math.min(keep, numPredict);
    const tokens = allTokens.slice(0, keep);
    const doneReason = tokens.length < allTokens.length ? "length" : "stop";
    const half = Math.max(1, Math.floor(tokens.length / 2));

    const piece = (content: string) =>
      isChat
        ? {
            model: genReq.model,
            created_at: new Date().toISOString(),
            message: { role: "assistant", content },
          }
        : { model: genReq.model, created_at: new Date().toISOString(), response: content };
    const promptTokens = Math.max(1, Math.ceil(promptChars(genReq.body) / 4));
    const final = {
      ...piece(""),
      done: true,
      done_reason: doneReason,
      ...metrics(promptTokens, tokens.length),
      ...(isChat ? {} : { context: contextTokens(promptTokens + tokens.length) }),
    };

    if (!genReq.stream) {
      // Real Ollama sends nothing until generation has finished.
      if (fault?.kind === "slow" && !(await sleep(fault.chunkDelayMs * tokens.length, signal))) return;
      if (fault?.kind === "error-in-stream") return sendJson(res, 500, { error: fault.error });
      const full = JSON.stringify({ ...final, ...piece(tokens.join("")), done: true });
      if (fault?.kind === "drop") {
        const bytes = Buffer.from(full);
        res.writeHead(200, {
          "Content-Type": "application/json; charset=utf-8",
          "Content-Length": bytes.length,
        });
        await write(res, bytes.subarray(0, Math.floor(bytes.length / 2)), signal);
        return destroy();
      }
      return sendJson(res, 200, JSON.parse(full));
    }

    res.writeHead(200, { "Content-Type": "application/x-ndjson" });
    res.flushHeaders();
    const breakAt =
      fault?.kind === "drop" || fault?.kind === "error-in-stream"
        ? Math.min(fault.afterChunks ?? half, tokens.length)
        : Number.POSITIVE_INFINITY;
    for (let i = 0; i <= tokens.length; i++) {
      if (signal.aborted) return;
      if (i === breakAt && fault?.kind === "drop") return destroy();
      if (i === breakAt && fault?.kind === "error-in-stream") {
        // Mid-stream errors keep status 200 and arrive as one more NDJSON line.
        await write(res, Buffer.from(`${JSON.stringify({ error: fault.error })}\n`), signal);
        res.end();
        return;
      }
      if (i === tokens.length) break;
      await writeLine(res, `${JSON.stringify({ ...piece(tokens[i] ?? ""), done: false })}\n`, signal);
      if (fault?.kind === "slow" && !(await sleep(fault.chunkDelayMs, signal))) return;
    }
    if (signal.aborted) return;
    res.end(`${JSON.stringify(final)}\n`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get chatCalls() {
      return chatCalls;
    },
    get generateCalls() {
      return generateCalls;
    },
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    get openConnections() {
      return sockets.size;
    },
    get openConnectionIds() {
      return [...sockets.values()];
    },
    get models() {
      return [...models];
    },
    get pendingFaults() {
      return faultQueue.length;
    },
    setModels(names) {
      models = [...names];
    },
    setResponder(fn) {
      responder = fn;
    },
    setFault(fault) {
      persistentFault = fault;
    },
    queueFaults(faults) {
      faultQueue.push(...faults);
    },
    reset() {
      requests.length = 0;
      peakInFlight = inFlight;
      chatCalls = 0;
      generateCalls = 0;
      responder = null;
      persistentFault = null;
      faultQueue = [];
    },
    close() {
      closing ??= (async () => {
        shutdown.abort(); // wakes pending delays and stops streams
        const socketsClosed = [...sockets.keys()].map((socket) => once(socket, "close"));
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        for (const socket of sockets.keys()) socket.destroy();
        await Promise.all([serverClosed, ...socketsClosed]);
      })();
      return closing;
    },
  };
}

function promptOf(endpoint: "chat" | "generate", body: Record<string, unknown>) {
  if (endpoint === "generate") {
    return {
      prompt: typeof body.prompt === "string" ? body.prompt : "",
      system: typeof body.system === "string" ? body.system : undefined,
    };
  }
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const contentOf = (role: string) => {
    const found = messages.findLast(
      (m): m is { role: string; content: unknown } =>
        typeof m === "object" && m !== null && (m as { role?: unknown }).role === role,
    );
    return typeof found?.content === "string" ? found.content : undefined;
  };
  return { prompt: contentOf("user") ?? "", system: contentOf("system") };
}

function promptChars(body: Record<string, unknown>): number {
  if (typeof body.prompt === "string")
    return body.prompt.length + (typeof body.system === "string" ? body.system.length : 0);
  if (!Array.isArray(body.messages)) return 0;
  let n = 0;
  for (const m of body.messages as unknown[]) {
    const content = typeof m === "object" && m !== null ? (m as { content?: unknown }).content : undefined;
    if (typeof content === "string") n += content.length;
  }
  return n;
}

function numberOption(body: Record<string, unknown>, key: string): number | undefined {
  const opts = body.options;
  if (typeof opts !== "object" || opts === null) return undefined;
  const value = (opts as Record<string, unknown>)[key];
  return typeof value === "number" ? value : undefined;
}

/** Deterministic metrics in nanoseconds, shaped like Ollama's final chunk. */
function metrics(promptTokens: number, evalTokens: number) {
  const load = 12_500_000;
  const promptEval = promptTokens * 400_000;
  const evalDuration = evalTokens * 22_000_000;
  return {
    total_duration: load + promptEval + evalDuration + 3_000_000,
    load_duration: load,
    prompt_eval_count: promptTokens,
    prompt_eval_duration: promptEval,
    eval_count: evalTokens,
    eval_duration: evalDuration,
  };
}

function contextTokens(n: number): number[] {
  return Array.from({ length: Math.min(n, 32) }, (_, i) => 128_000 + i);
}

function defaultError(status: number, model: string): string {
  switch (status) {
    case 503:
      return BUSY_ERROR;
    case 404:
      return `model "${model}" not found, try pulling it first`;
    case 400:
      return "the input length exceeds the context length";
    default:
      return RUNNER_ERROR;
  }
}

/** Ollama treats a name without a tag as "<name>:latest". */
function withTag(name: string): string {
  return name.includes(":") ? name : `${name}:latest`;
}

function describeModel(name: string) {
  const full = withTag(name);
  return {
    name: full,
    model: full,
    modified_at: "2025-01-01T00:00:00Z",
    size: 2_019_393_189,
    digest: createHash("sha256").update(full).digest("hex"),
    details: {
      parent_model: "",
      format: "gguf",
      family: "llama",
      families: ["llama"],
      parameter_size: "3.2B",
      quantization_level: "Q4_K_M",
    },
  };
}

function showResponse() {
  return {
    modelfile: "# Modelfile generated by fake-ollama\nFROM llama3.2\n",
    parameters: 'stop "<|eot_id|>"',
    template: "{{ .Prompt }}",
    details: {
      parent_model: "",
      format: "gguf",
      family: "llama",
      families: ["llama"],
      parameter_size: "3.2B",
      quantization_level: "Q4_K_M",
    },
    model_info: { "general.architecture": "llama", "llama.context_length": 131072 },
    capabilities: ["completion", "tools"],
    modified_at: "2025-01-01T00:00:00Z",
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(text);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (never rejects, leaves no timer). */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Writes and waits until flushed, or until the exchange is aborted (a dead socket may never call back). */
function write(res: ServerResponse, data: Buffer, signal: AbortSignal): Promise<void> {
  if (signal.aborted || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    res.write(data, () => done());
  });
}

/**
 * Writes one NDJSON line. If it contains a multi-byte UTF-8 character, the line goes out as two writes cut
 * inside that character, with a pause between, so the client receives a body chunk ending mid-character.
 */
async function writeLine(res: ServerResponse, line: string, signal: AbortSignal): Promise<void> {
  const bytes = Buffer.from(line);
  const lead = bytes.findIndex((b) => b >= 0xc0);
  if (lead < 0) return write(res, bytes, signal);
  await write(res, bytes.subarray(0, lead + 1), signal);
  if (!(await sleep(1, signal))) return;
  await write(res, bytes.subarray(lead + 1), signal);
}
