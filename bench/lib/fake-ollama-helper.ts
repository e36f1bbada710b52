// Child-process entry: the test suite's fake Ollama, answering at once (no delays, no faults), in
// its own process as the real Ollama is, so its work is not counted against the worker's event loop.
// Imported by path: the test-utils index pulls in vitest.
import { startFakeOllama } from "../../packages/test-utils/src/fake-ollama.js";

// The fake streams one NDJSON line per ~10 characters, one socket write each (and sleeps 1 ms on
// lines with multi-byte characters): a corpus answer is ~96 lines, which on a small VM costs the
// fake and the client ~10 ms per answer. FAKE_OLLAMA_ANSWER=short answers with a minimal valid
// Markdown answer (~13 lines) instead, so the measurement is of the worker, not of the fake.
const SHORT_ANSWER =
  "## Summary\nA crafted input can overflow a buffer in this package.\n## Recommendations\n1. Upgrade to the fixed version.\n## Risk Score\n7";

const fake = await startFakeOllama();
if (process.env.FAKE_OLLAMA_ANSWER === "short") fake.setResponder(() => SHORT_ANSWER);
process.on("message", (message) => {
  if (message === "stats") process.send?.({ chatCalls: fake.chatCalls });
});
const stop = () => {
  void fake.close().finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("disconnect", stop);
process.send?.({ url: fake.url });
