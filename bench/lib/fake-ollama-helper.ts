// Child-process entry: the test suite's fake Ollama, answering at once (no delays, no faults), in
// its own process as the real Ollama is, so its work is not counted against the worker's event loop.
// Imported by path: the test-utils index pulls in vitest.
import { corpusEntryFor, startFakeOllama } from "../../packages/test-utils/src/fake-ollama.js";

// The fake streams one NDJSON line per ~10 characters, one socket write each (and sleeps 1 ms on
// lines with multi-byte characters): a corpus answer is ~96 lines, which on a small VM costs the
// fake and the client ~10 ms per answer. FAKE_OLLAMA_ANSWER=short answers with a minimal valid
// Markdown answer (~13 lines) instead, so the measurement is of the worker, not of the fake.
const SHORT_ANSWER =
  "## Summary\nA crafted input can overflow a buffer in this package.\n## Recommendations\n1. Upgrade to the fixed version.\n## Risk Score\n7";

// FAKE_OLLAMA_DELAY_MS and FAKE_OLLAMA_PARALLEL model a real server's pace: each answer takes
// that long, and at most that many are generated at once (Ollama's OLLAMA_NUM_PARALLEL); the rest
// queue, as they do in Ollama.
const DELAY_MS = Number(process.env.FAKE_OLLAMA_DELAY_MS ?? 0);
const PARALLEL = Number(process.env.FAKE_OLLAMA_PARALLEL ?? Number.POSITIVE_INFINITY);
let generating = 0;
const queued: (() => void)[] = [];
async function paced<T>(work: () => T): Promise<T> {
  if (generating >= PARALLEL) await new Promise<void>((resolve) => queued.push(resolve));
  generating++;
  try {
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
    return work();
  } finally {
    generating--;
    queued.shift()?.();
  }
}

const fake = await startFakeOllama();
const short = process.env.FAKE_OLLAMA_ANSWER === "short";
if (DELAY_MS > 0) {
  fake.setResponder((req) => paced(() => (short ? SHORT_ANSWER : corpusEntryFor(req.prompt).answer)));
} else if (short) {
  fake.setResponder(() => SHORT_ANSWER);
}
process.on("message", (message) => {
  if (message === "stats") process.send?.({ chatCalls: fake.chatCalls });
});
const stop = () => {
  void fake.close().finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("disconnect", stop);
process.send?.({ url: fake.url });
