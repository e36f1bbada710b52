import { afterEach, describe, expect, it } from "vitest";
import { type Stack, spawnWorkerProcess, startStack, type WorkerProcess, waitFor } from "./helpers.js";

const stacks: Stack[] = [];
const processes: WorkerProcess[] = [];

afterEach(async () => {
  for (const worker of processes.splice(0)) await worker.stop(2_000);
  for (const stack of stacks.splice(0)) await stack.close();
});

/** The compiled worker's log lines, parsed (pino writes one JSON object per line). */
function logLines(worker: WorkerProcess): { level: number; msg: string; [key: string]: unknown }[] {
  return worker
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}

async function startWorker(env: Record<string, string> = {}, model = "qwen2.5:7b") {
  const stack = await startStack({ startWorker: false, model });
  stacks.push(stack);
  const worker = spawnWorkerProcess(stack, { LOG_LEVEL: "info", ...env });
  processes.push(worker);
  await waitFor("the worker to start", async () => logLines(worker).some((l) => l.msg === "worker started"));
  return { stack, worker };
}

const WARN = 40;

describe("the worker's start-up check of Ollama", () => {
  it("should warn once, naming the host, the model and the pull command, when the model is missing, and keep running", async () => {
    const { stack, worker } = await startWorker();
    // The fake serves llama3.2:3b only.
    const warning = await waitFor("the warning", async () =>
      logLines(worker).find((l) => l.level === WARN && /not pulled/.test(l.msg)),
    );
    expect(warning.msg).toContain(stack.fake.url);
    expect(warning.msg).toContain('"qwen2.5:7b"');
    expect(warning.msg).toContain("ollama pull qwen2.5:7b");
    expect(warning).toMatchObject({ ollama: stack.fake.url, model: "qwen2.5:7b" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(logLines(worker).filter((l) => l.level === WARN)).toHaveLength(1);
    expect(worker.child.exitCode).toBeNull();
    await worker.stop();
    expect((await worker.exited).code).toBe(0);
  });

  it("should warn that Ollama is unreachable, with the model and the pull command, and keep running", async () => {
    const { worker } = await startWorker({ OLLAMA_HOST: "http://127.0.0.1:1" });
    const warning = await waitFor("the warning", async () =>
      logLines(worker).find((l) => l.level === WARN && /not reachable/.test(l.msg)),
    );
    expect(warning.msg).toContain("http://127.0.0.1:1");
    expect(warning.msg).toContain("ollama pull qwen2.5:7b");
    expect(worker.child.exitCode).toBeNull();
  });

  it("should say nothing when the model is there", async () => {
    const { stack, worker } = await startWorker({}, "llama3.2:3b");
    await waitFor("the check", async () => stack.fake.requests.some((r) => r.path === "/api/tags"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logLines(worker).filter((l) => l.level === WARN)).toEqual([]);
  });

  it("should say, per server, which answer and have the model, and default its concurrency to their sum", async () => {
    const { stack, worker } = await startWorker({}, "llama3.2:3b");
    await worker.stop();
    const two = spawnWorkerProcess(stack, {
      LOG_LEVEL: "info",
      OLLAMA_HOST: `${stack.fake.url}*3,http://127.0.0.1:1*2`,
    });
    processes.push(two);
    const started = await waitFor("the worker to start", async () =>
      logLines(two).find((l) => l.msg === "worker started"),
    );
    expect(started).toMatchObject({
      concurrency: 5,
      ollama: [`${stack.fake.url}*3`, "http://127.0.0.1:1*2"],
    });
    const good = await waitFor("the good server's line", async () =>
      logLines(two).find((l) => l.ollama === stack.fake.url && /answers and has the model/.test(l.msg)),
    );
    expect(good.level).toBe(30);
    const bad = await waitFor("the unreachable server's warning", async () =>
      logLines(two).find((l) => l.level === WARN && l.ollama === "http://127.0.0.1:1"),
    );
    expect(bad.msg).toMatch(/not reachable/);
  });
});
