import type { AbortableAsyncIterator, ChatResponse } from "ollama";
import { Ollama } from "ollama";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FakeGenerationRequest, FakeOllama } from "../src/fake-ollama.js";
import { corpusEntryFor, startFakeOllama, tokenizeAnswer } from "../src/fake-ollama.js";
import { badLlmAnswers, llmAnswerCorpus } from "../src/llm-answer-corpus.js";

const MODEL = "llama3.2:3b";
const QUESTION = "Analyse CVE-2023-44487 in libnghttp2-14 1.43.0-1 (HIGH).";
const MULTIBYTE_ANSWER =
  "## Summary\nGrüße — the `zlib` fix costs 5 € and locks 🔒 nothing… Ünïcödé survives.\n\n## Recommendations\n- Upgrade → 1.3.1\n\n## Risk Score\n5/10";

const ask = (content: string) => [
  { role: "system", content: "You are a security analyst." },
  { role: "user", content },
];

async function collect(stream: AbortableAsyncIterator<ChatResponse>) {
  const parts: ChatResponse[] = [];
  for await (const part of stream) parts.push(part);
  return { parts, content: parts.map((p) => p.message.content).join(""), last: parts.at(-1) };
}

/** Resolves with whatever the promise rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error("expected the promise to reject");
}

/** Global fetch that records raw body chunks exactly as the client's decoder will see them. */
function recordingFetch(raw: Uint8Array[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body) return res;
    const spy = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        raw.push(chunk);
        controller.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(spy), { status: res.status, headers: res.headers });
  };
}

/** The client has no signal option; a custom fetch is the only way to cancel before headers arrive. */
function abortableClient(host: string, external: AbortSignal): Ollama {
  const f: typeof fetch = (input, init) =>
    fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, external]) : external });
  return new Ollama({ host, fetch: f });
}

const isCutUtf8 = (chunk: Uint8Array) => {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(chunk);
    return false;
  } catch {
    return true;
  }
};

let fake: FakeOllama;
let client: Ollama;

beforeEach(async () => {
  fake = await startFakeOllama();
  client = new Ollama({ host: fake.url });
});

afterEach(async () => {
  await fake.close();
});

describe("answer corpus", () => {
  it("has at least 12 unique good answers and the required bad ones", () => {
    expect(llmAnswerCorpus.length).toBeGreaterThanOrEqual(12);
    expect(new Set(llmAnswerCorpus.map((e) => e.id)).size).toBe(llmAnswerCorpus.length);
    for (const e of llmAnswerCorpus) {
      expect(e.expected.riskScore, e.id).toSatisfy((n: number) => Number.isInteger(n) && n >= 1 && n <= 10);
      expect(e.expected.recommendations.length, e.id).toBeGreaterThan(0);
      // Streaming re-assembles tokens, so tokenising must be lossless.
      expect(tokenizeAnswer(e.answer).join(""), e.id).toBe(e.answer);
    }
    expect(new Set(badLlmAnswers.map((b) => b.expectedError))).toEqual(
      new Set(["no_summary", "no_risk_score", "invalid_risk_score"]),
    );
  });
});

describe("chat round-trips", () => {
  it("non-streaming chat returns the corpus answer with Ollama's final fields", async () => {
    const res = await client.chat({ model: MODEL, messages: ask(QUESTION), options: { temperature: 0 } });
    const expected = corpusEntryFor(QUESTION).answer;

    expect(res.message).toEqual({ role: "assistant", content: expected });
    expect(res).toMatchObject({ model: MODEL, done: true, done_reason: "stop" });
    expect(typeof res.created_at).toBe("string"); // typed as Date by the client, but a string at runtime
    expect(res.eval_count).toBe(tokenizeAnswer(expected).length);
    expect(res.prompt_eval_count).toBeGreaterThan(0);
    for (const key of ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"] as const) {
      expect(res[key], key).toBeGreaterThan(0);
    }
    expect(res.total_duration).toBeGreaterThan(res.eval_duration);
  });

  it("streaming chat delivers many chunks, multi-byte text intact, and UTF-8 cut across body chunks", async () => {
    const raw: Uint8Array[] = [];
    const recording = new Ollama({ host: fake.url, fetch: recordingFetch(raw) });
    fake.setResponder(() => MULTIBYTE_ANSWER);

    const { parts, content, last } = await collect(
      await recording.chat({ model: MODEL, messages: ask(QUESTION), stream: true }),
    );

    expect(content).toBe(MULTIBYTE_ANSWER);
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.filter((p) => p.done)).toHaveLength(1);
    expect(last).toMatchObject({ done: true, done_reason: "stop", message: { content: "" } });
    expect(last?.eval_count).toBe(parts.length - 1);
    expect(last?.prompt_eval_count).toBeGreaterThan(0);
    // The point of the split writes: a decoder without {stream:true} would have mangled this.
    expect(raw.some(isCutUtf8)).toBe(true);
  });

  it("answers the same question with the same text every time, and different questions differently", async () => {
    const first = await client.chat({ model: MODEL, messages: ask(QUESTION) });
    const streamed = await collect(
      await client.chat({ model: MODEL, messages: ask(QUESTION), stream: true }),
    );
    const other = await startFakeOllama();
    try {
      const fromOther = await new Ollama({ host: other.url }).chat({ model: MODEL, messages: ask(QUESTION) });
      expect(fromOther.message.content).toBe(first.message.content);
    } finally {
      await other.close();
    }
    expect(streamed.content).toBe(first.message.content);

    const answers = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const res = await client.chat({ model: MODEL, messages: ask(`finding #${i}`) });
      answers.add(res.message.content);
    }
    expect(answers.size).toBeGreaterThan(1);
  });

  it("selects the answer from the last user message only", async () => {
    const messages = [
      { role: "user", content: "earlier question" },
      { role: "assistant", content: "earlier answer" },
      { role: "user", content: QUESTION },
    ];
    const res = await client.chat({ model: MODEL, messages });
    expect(res.message.content).toBe(corpusEntryFor(QUESTION).answer);
  });

  it("generate returns `response` and a `context`, streaming or not", async () => {
    const single = await client.generate({ model: MODEL, prompt: QUESTION });
    expect(single.response).toBe(corpusEntryFor(QUESTION).answer);
    expect(single).toMatchObject({ done: true, done_reason: "stop" });
    expect(single.context.length).toBeGreaterThan(0);

    let text = "";
    let context: number[] | undefined;
    for await (const part of await client.generate({ model: MODEL, prompt: QUESTION, stream: true })) {
      text += part.response ?? "";
      if (part.done) context = part.context;
    }
    expect(text).toBe(single.response);
    expect(context?.length).toBeGreaterThan(0);
    expect(fake.generateCalls).toBe(2);
    expect(fake.chatCalls).toBe(0);
  });

  it("streams NDJSON when `stream` is absent, like the real server", async () => {
    const res = await fetch(`${fake.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: MODEL, messages: ask(QUESTION) }),
    });
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as ChatResponse);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.at(-1)?.done).toBe(true);
    expect(lines.map((l) => l.message.content).join("")).toBe(corpusEntryFor(QUESTION).answer);
  });

  it("passes the parsed request to a responder", async () => {
    const seen: FakeGenerationRequest[] = [];
    fake.setResponder((req) => {
      seen.push(req);
      return "custom answer";
    });
    const res = await client.chat({ model: MODEL, messages: ask(QUESTION), options: { seed: 42 } });

    expect(res.message.content).toBe("custom answer");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      endpoint: "chat",
      model: MODEL,
      prompt: QUESTION,
      system: "You are a security analyst.",
      stream: false,
      body: { options: { seed: 42 } },
    });
  });
});

describe("models and metadata endpoints", () => {
  it("unknown model: the client throws ResponseError 404 naming the model, before any stream", async () => {
    const err = await rejectionOf(client.chat({ model: "mistral:7b", messages: ask("x") }));
    expect(err).toMatchObject({ name: "ResponseError", status_code: 404 });
    expect(err.message).toBe('model "mistral:7b" not found, try pulling it first');

    // With stream:true the error surfaces from `await chat()`, not from the iteration.
    const streamErr = await rejectionOf(
      client.chat({ model: "mistral:7b", messages: ask("x"), stream: true }),
    );
    expect(streamErr).toMatchObject({ name: "ResponseError", status_code: 404 });
    expect(String(streamErr.message)).toContain('"mistral:7b"');
  });

  it("matches untagged names to :latest in both directions", async () => {
    const other = await startFakeOllama({ models: ["mistral"] });
    try {
      const c = new Ollama({ host: other.url });
      await expect(c.chat({ model: "mistral:latest", messages: ask("x") })).resolves.toMatchObject({
        done: true,
      });
      await expect(c.chat({ model: "mistral", messages: ask("x") })).resolves.toMatchObject({ done: true });
      const { models } = await c.list();
      expect(models.map((m) => m.name)).toEqual(["mistral:latest"]);
    } finally {
      await other.close();
    }
  });

  it("serves /api/tags, /api/show and /api/version", async () => {
    const { models } = await client.list();
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ name: MODEL, model: MODEL, details: { format: "gguf" } });
    expect(models[0]?.digest).toMatch(/^[0-9a-f]{64}$/);

    const show = await client.show({ model: MODEL });
    expect(show.capabilities).toContain("completion");
    const missing = await rejectionOf(client.show({ model: "nope" }));
    expect(missing).toMatchObject({
      name: "ResponseError",
      status_code: 404,
      message: "model 'nope' not found",
    });

    await expect(client.version()).resolves.toEqual({ version: "0.12.6" });
  });

  it("setModels changes what is installed", async () => {
    fake.setModels(["qwen2.5:7b"]);
    const err = await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }));
    expect(err).toMatchObject({ status_code: 404 });
    await expect(client.chat({ model: "qwen2.5:7b", messages: ask("x") })).resolves.toMatchObject({
      done: true,
    });
  });
});

describe("faults", () => {
  it.each([
    [500, "model runner has unexpectedly stopped"],
    [503, "server busy, please try again.  maximum pending requests exceeded"],
  ] as const)("HTTP %i surfaces as ResponseError with that status", async (status, message) => {
    fake.setFault({ kind: "http", status });
    const err = await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }));
    expect(err).toMatchObject({ name: "ResponseError", status_code: status });
    expect(String(err.message)).toContain(message);
    const streamErr = await rejectionOf(client.chat({ model: MODEL, messages: ask("x"), stream: true }));
    expect(streamErr).toMatchObject({ name: "ResponseError", status_code: status });
  });

  it("uses a custom http error message", async () => {
    fake.setFault({ kind: "http", status: 400, error: "the input length exceeds the context length" });
    const err = await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }));
    expect(err).toMatchObject({ status_code: 400, message: "the input length exceeds the context length" });
  });

  it("queued faults fail the next calls in order, then the server recovers", async () => {
    fake.queueFaults([
      { kind: "http", status: 503 },
      { kind: "http", status: 500 },
    ]);
    expect(fake.pendingFaults).toBe(2);

    expect(await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }))).toMatchObject({
      status_code: 503,
    });
    expect(await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }))).toMatchObject({
      status_code: 500,
    });
    const ok = await client.chat({ model: MODEL, messages: ask("x") });

    expect(ok.message.content).toBe(corpusEntryFor("x").answer);
    expect(fake.pendingFaults).toBe(0);
    expect(fake.chatCalls).toBe(3);
  });

  it("a persistent fault stays until cleared, and queued faults take precedence over it", async () => {
    fake.setFault({ kind: "http", status: 503 });
    fake.queueFaults([{ kind: "http", status: 400 }]);
    expect(await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }))).toMatchObject({
      status_code: 400,
    });
    expect(await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }))).toMatchObject({
      status_code: 503,
    });
    expect(await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }))).toMatchObject({
      status_code: 503,
    });
    fake.setFault(null);
    await expect(client.chat({ model: MODEL, messages: ask("x") })).resolves.toMatchObject({ done: true });
  });

  it("a responder can return a fault", async () => {
    fake.setResponder((req) =>
      req.prompt.includes("poison") ? { kind: "http", status: 500, error: "nope" } : "fine",
    );
    expect(await rejectionOf(client.chat({ model: MODEL, messages: ask("poison") }))).toMatchObject({
      status_code: 500,
      message: "nope",
    });
    await expect(client.chat({ model: MODEL, messages: ask("ok") })).resolves.toMatchObject({
      message: { content: "fine" },
    });
  });

  it("drop: the stream iteration rejects with TypeError 'terminated' after some chunks", async () => {
    fake.setFault({ kind: "drop", afterChunks: 3 });
    const received: string[] = [];
    const stream = await client.chat({ model: MODEL, messages: ask(QUESTION), stream: true });
    const err = await rejectionOf(
      (async () => {
        for await (const part of stream) received.push(part.message.content);
      })(),
    );

    expect(received).toHaveLength(3);
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe("terminated");
    expect((err.cause as { code?: string }).code).toBe("UND_ERR_SOCKET");
    expect(fake.requests.at(-1)?.outcome).toBe("server-closed");
  });

  it("drop on a non-streaming call: response.json() rejects", async () => {
    fake.setFault({ kind: "drop" });
    const err = await rejectionOf(client.chat({ model: MODEL, messages: ask(QUESTION) }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe("terminated");
  });

  it("truncate: a prefix of the answer with done_reason 'length'", async () => {
    fake.setFault({ kind: "truncate" });
    const full = corpusEntryFor(QUESTION).answer;
    const { content, last } = await collect(
      await client.chat({ model: MODEL, messages: ask(QUESTION), stream: true }),
    );
    expect(last?.done_reason).toBe("length");
    expect(content.length).toBeLessThan(full.length);
    expect(full.startsWith(content)).toBe(true);

    const single = await client.chat({ model: MODEL, messages: ask(QUESTION) });
    expect(single).toMatchObject({ done_reason: "length", message: { content } });
  });

  it("options.num_predict caps the answer like the real server", async () => {
    const res = await client.chat({ model: MODEL, messages: ask(QUESTION), options: { num_predict: 4 } });
    expect(res.done_reason).toBe("length");
    expect(res.eval_count).toBe(4);
    expect(res.message.content).toBe(tokenizeAnswer(corpusEntryFor(QUESTION).answer).slice(0, 4).join(""));
  });

  it("error-in-stream: HTTP 200, then the iteration throws a plain Error with the server's message", async () => {
    fake.setFault({ kind: "error-in-stream", error: "an error was encountered while running the model" });
    const received: string[] = [];
    const stream = await client.chat({ model: MODEL, messages: ask(QUESTION), stream: true });
    const err = await rejectionOf(
      (async () => {
        for await (const part of stream) received.push(part.message.content);
      })(),
    );

    expect(received.length).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("Error"); // not a ResponseError: no status_code to branch on
    expect(err.status_code).toBeUndefined();
    expect(err.message).toBe("an error was encountered while running the model");

    // Without streaming the real server reports the same failure as a 500.
    const single = await rejectionOf(client.chat({ model: MODEL, messages: ask(QUESTION) }));
    expect(single).toMatchObject({ name: "ResponseError", status_code: 500 });
  });

  it("refuse: the client gets a connection error", async () => {
    fake.setFault({ kind: "refuse" });
    const err = await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe("fetch failed");
    expect((err.cause as { code?: string }).code).toBe("UND_ERR_SOCKET");
    expect(fake.requests.at(-1)?.outcome).toBe("server-closed");
  });

  it("slow: tokens arrive spaced by chunkDelayMs", async () => {
    fake.setResponder(() => "one two three four five six");
    fake.setFault({ kind: "slow", chunkDelayMs: 40 });
    const started = Date.now();
    const { content, parts } = await collect(
      await client.chat({ model: MODEL, messages: ask("x"), stream: true }),
    );
    expect(content).toBe("one two three four five six");
    expect(parts.length).toBe(7);
    expect(Date.now() - started).toBeGreaterThanOrEqual(6 * 40 - 10);
  });
});

describe("delays, aborts and shutdown", () => {
  it("delay + an external AbortSignal: rejects with AbortError quickly and the server lets go", async () => {
    fake.setFault({ kind: "delay", ms: 30_000 });
    const controller = new AbortController();
    const abortable = abortableClient(fake.url, controller.signal);
    const started = Date.now();
    const pending = abortable.chat({ model: MODEL, messages: ask("x") });
    await vi.waitFor(() => expect(fake.inFlight).toBe(1));
    controller.abort();

    const err = await rejectionOf(pending);
    expect(err).toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(2_000);
    const entry = fake.requests.at(-1);
    await vi.waitFor(() => expect(fake.inFlight).toBe(0));
    expect(entry?.outcome).toBe("client-closed");
    // undici may dial a fresh idle pool socket after an abort; what matters is that this one is gone.
    expect(fake.openConnectionIds).not.toContain(entry?.connectionId);
  });

  it("client.abort() during a slow stream rejects the iteration with AbortError", async () => {
    fake.setFault({ kind: "slow", chunkDelayMs: 50 });
    const stream = await client.chat({ model: MODEL, messages: ask(QUESTION), stream: true });
    let chunks = 0;
    const err = await rejectionOf(
      (async () => {
        for await (const _ of stream) if (++chunks === 2) client.abort();
      })(),
    );
    expect(err).toMatchObject({ name: "AbortError", message: "This operation was aborted" });
    expect(chunks).toBe(2);
    const entry = fake.requests.at(-1);
    await vi.waitFor(() => expect(entry?.outcome).toBe("client-closed"));
    expect(fake.inFlight).toBe(0);
    expect(fake.openConnectionIds).not.toContain(entry?.connectionId);
  });

  it("client.abort() before the headers arrive does nothing (the stream is not registered yet)", async () => {
    fake.setFault({ kind: "delay", ms: 300 });
    const pending = client.chat({ model: MODEL, messages: ask(QUESTION), stream: true });
    await vi.waitFor(() => expect(fake.inFlight).toBe(1));
    client.abort();
    const { content } = await collect(await pending);
    expect(content).toBe(corpusEntryFor(QUESTION).answer);
  });

  it("close() with a request in flight resolves promptly and the client sees a socket error", async () => {
    fake.setFault({ kind: "delay", ms: 30_000 });
    // Attach the rejection handler now: the request fails while close() is still being awaited.
    const failure = rejectionOf(client.chat({ model: MODEL, messages: ask("x") }));
    await vi.waitFor(() => expect(fake.inFlight).toBe(1));

    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    const err = await failure;
    expect(err).toMatchObject({ message: "fetch failed" });
    expect(fake.openConnections).toBe(0);
    await expect(fake.close()).resolves.toBeUndefined(); // idempotent, afterEach calls it again
  });
});

describe("request log", () => {
  it("records method, path, parsed body and headers, and counts chat/generate calls", async () => {
    await client.list();
    await client.version();
    await client.chat({ model: MODEL, messages: ask(QUESTION), options: { temperature: 0, seed: 7 } });
    await client.generate({ model: MODEL, prompt: "p", system: "s" });
    await collect(await client.chat({ model: MODEL, messages: ask("again"), stream: true }));
    const notFound = await fetch(`${fake.url}/api/embed-nothing`);
    const malformed = await fetch(`${fake.url}/api/chat`, { method: "POST", body: "{not json" });

    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await notFound.text()).toBe("404 page not found");
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await malformed.json()).toEqual({ error: expect.any(String) });

    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /api/tags",
      "GET /api/version",
      "POST /api/chat",
      "POST /api/generate",
      "POST /api/chat",
      "GET /api/embed-nothing",
      "POST /api/chat",
    ]);
    expect(fake.requests[2]?.body).toEqual({
      model: MODEL,
      messages: ask(QUESTION),
      options: { temperature: 0, seed: 7 },
      stream: false, // the client always sends it
    });
    expect(fake.requests[2]?.headers["user-agent"]).toMatch(/^ollama-js\//);
    expect(fake.requests[3]?.body).toMatchObject({ prompt: "p", system: "s" });
    expect(fake.requests[4]?.body).toMatchObject({ stream: true });
    expect(fake.requests[6]).toMatchObject({ body: undefined, rawBody: "{not json" });
    expect(fake.requests.every((r) => r.outcome === "completed")).toBe(true);
    expect(fake.chatCalls).toBe(3);
    expect(fake.generateCalls).toBe(1);
  });

  it("reset() clears the log, counters, responder and faults", async () => {
    fake.setResponder(() => "custom");
    fake.setFault({ kind: "http", status: 500 });
    fake.queueFaults([{ kind: "refuse" }]);
    await rejectionOf(client.chat({ model: MODEL, messages: ask("x") }));

    fake.reset();
    expect(fake.requests).toHaveLength(0);
    expect(fake.chatCalls).toBe(0);
    expect(fake.pendingFaults).toBe(0);
    const res = await client.chat({ model: MODEL, messages: ask("x") });
    expect(res.message.content).toBe(corpusEntryFor("x").answer);
    expect(fake.requests).toHaveLength(1);
  });
});
