import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * A service entry as users run it: compiled JavaScript under plain node. `npm test` builds first;
 * a bare `vitest` run after a clean checkout is told what to do instead of failing obscurely.
 */
export function builtEntry(relativePath: string): string {
  const path = fileURLToPath(new URL(relativePath, `file://${REPO_ROOT}`));
  if (!existsSync(path)) throw new Error(`${relativePath} is missing: run \`npm run build\` first`);
  return path;
}

/** Node flags that run a TypeScript helper (fakes, bench helpers) on the workspace sources. */
export const TS_SOURCE_EXEC_ARGV = ["--conditions=@vulntriage/source", "--import", "tsx"];

export type ServiceProcess = {
  child: ChildProcess;
  /** What the process wrote to stdout and stderr so far. */
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (SIGKILL if it has not exited after `graceMs`), then waits for the exit. */
  stop: (graceMs?: number) => Promise<void>;
};

/** A compiled service entry under plain node with exactly `env` (and PATH), its output captured. */
export function spawnBuiltService(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [builtEntry(entry)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { child, output: () => output, exited, stop };
}
