/**
 * The fake Ollama in a process of its own, for tests whose LLM traffic is heavy enough that the fake's
 * token streaming would compete with the API and worker for the test process's one thread.
 * Started with `fork`; reports its URL, then answers "stats" messages with its counters.
 */
import { startFakeOllama } from "@vulntriage/test-utils";

const fake = await startFakeOllama();

process.on("message", (message: unknown) => {
  if (message === "stats") {
    const outcomes: Record<string, number> = {};
    for (const r of fake.requests)
      if (r.path === "/api/chat") outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    process.send?.({ type: "stats", chatCalls: fake.chatCalls, inFlight: fake.inFlight, outcomes });
  }
});
process.on("disconnect", () => {
  void fake.close().then(() => process.exit(0));
});
process.send?.({ type: "ready", url: fake.url });
