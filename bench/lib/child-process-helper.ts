import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type ChildHandle<Ready> = {
  child: ChildProcess;
  ready: Ready;
  /** Sends a message and resolves with the child's next message. */
  ask: <T>(message: unknown) => Promise<T>;
  stop: () => Promise<void>;
};

/**
 * A bench helper (a .ts entry in bench/lib) in its own Node process, talking over IPC: it sends one
 * message when it is ready, and exits when told to or when this process goes away.
 */
export async function startChild<Ready>(
  entry: string,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<ChildHandle<Ready>> {
  const child = spawn(
    process.execPath,
    ["--conditions=@vulntriage/source", "--import", "tsx", fileURLToPath(new URL(entry, import.meta.url))],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} was not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once("message", (message) => {
      clearTimeout(timer);
      resolve(message as Ready);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with code ${code} before it was ready`));
    });
  });
  return {
    child,
    ready,
    ask: <T>(message: unknown) =>
      new Promise<T>((resolve) => {
        child.once("message", (answer) => resolve(answer as T));
        child.send(message as object);
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
