import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type ApiProcess = {
  url: string;
  child: ChildProcess;
  peakRssMb: () => number;
  stop: () => Promise<void>;
};

/** The real API, compiled (`npm run bench` builds first), in its own process as users run it, so the client's work is not counted. */
export async function startApiProcess(
  env: Record<string, string>,
  port: number,
  nodeArgs: string[] = [],
): Promise<ApiProcess> {
  const child = spawn(process.execPath, [...nodeArgs, "apps/api/dist/server.js"], {
    cwd: ROOT,
    env: {
      ...process.env,
      // Load generators outrun every per-key limit; the limits are not what these benches measure.
      RATE_LIMIT_UPLOADS_PER_MINUTE: "1000000",
      RATE_LIMIT_READS_PER_MINUTE: "1000000",
      RATE_LIMIT_REFRESH_PER_MINUTE: "1000000",
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("the API did not become healthy within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    child,
    peakRssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
      return kb / 1024;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
