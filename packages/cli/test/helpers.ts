import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { promisify } from "node:util";
import {
  builtEntry,
  createTestDatabase,
  deleteKeys,
  type FakeOllama,
  REPO_ROOT,
  redisUrl,
  type ServiceProcess,
  spawnBuiltService,
  startFakeOllama,
  type TestDatabase,
} from "@vulntriage/test-utils";

/** The CLI as `npx vulntriage` runs it: the committed bin wrapper over the compiled dist/. */
const CLI_BIN = "packages/cli/bin/vulntriage.js";

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Runs the built CLI as a child process; nothing of this process's environment leaks into it. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; stdin?: Buffer | string; timeoutMs?: number } = {},
): Promise<CliResult> {
  builtEntry("packages/cli/dist/main.js");
  const child = spawn(process.execPath, [`${REPO_ROOT}${CLI_BIN}`, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(options.stdin ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** The built CLI with a terminal for stdout and stderr (util-linux `script`), as a developer runs it. */
export async function runCliOnTerminal(args: string[], env: Record<string, string>): Promise<CliResult> {
  builtEntry("packages/cli/dist/main.js");
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, `${REPO_ROOT}${CLI_BIN}`, ...args].map(quote).join(" ");
  // `script -e` exits with the command's code; both streams reach the terminal, so both are in stdout.
  return promisify(execFile)("script", ["-qec", command, "/dev/null"], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", TERM: "xterm", COLUMNS: "160", ...env },
    timeout: 90_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

export type CliStack = {
  url: string;
  database: TestDatabase;
  fake: FakeOllama;
  api: ServiceProcess;
  worker: ServiceProcess;
  close: () => Promise<void>;
};

/** A good analysis whose LLM risk score the test picks per package name ("…-llm9" scores 9). */
function answerFor(prompt: string): string {
  const score = /-llm(\d+)/.exec(prompt)?.[1] ?? "5";
  return `## Summary\nA flaw in the package.\n## Recommendations\n1. Upgrade to the fixed version.\n## Risk Score\n${score}`;
}

/**
 * The compiled API and worker as their own processes, on a database and queue prefix of their own,
 * with the fake Ollama (in this process, so a test can make it slow) and every outbound source
 * pointed at this machine (`env` adds stub URLs, or leaves enrichment offline).
 */
export async function startCliStack(env: Record<string, string> = {}): Promise<CliStack> {
  const database = await createTestDatabase();
  const fake = await startFakeOllama();
  fake.setResponder((request) => answerFor(request.prompt));
  const prefix = `test-cli-${randomBytes(6).toString("hex")}`;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const common = {
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    OLLAMA_HOST: fake.url,
    OLLAMA_MODEL: "llama3.2:3b",
    // No test ever sends a request off this machine.
    ENRICHMENT: "offline",
    LOG_LEVEL: "warn",
    ...env,
  };
  const api = spawnBuiltService("apps/api/dist/server.js", {
    ...common,
    HOST: "127.0.0.1",
    PORT: String(port),
    RATE_LIMIT_UPLOADS_PER_MINUTE: "10000",
    RATE_LIMIT_READS_PER_MINUTE: "100000",
  });
  const worker = spawnBuiltService("apps/worker/dist/main.js", {
    ...common,
    WORKER_LOCK_MS: "2000",
    RECONCILE_INTERVAL_MS: "1000",
    LLM_RETRY_DELAY_MS: "100",
    // A test that hangs the model should not make teardown wait out the production grace.
    WORKER_SHUTDOWN_TIMEOUT_MS: "2000",
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/health`).catch(() => undefined))?.ok) {
    if (Date.now() > deadline) throw new Error(`the API did not start:\n${api.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    database,
    fake,
    api,
    worker,
    close: async () => {
      await worker.stop();
      await api.stop();
      await fake.close();
      await database.drop();
      await deleteKeys(prefix);
    },
  };
}

/** An API key made by the compiled `npm run keys`, as an operator makes one. */
export async function createKey(database: TestDatabase, scopes: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      builtEntry("apps/api/dist/keys-cli.js"),
      "create",
      "--name",
      `cli-${randomBytes(3).toString("hex")}`,
      "--scopes",
      scopes,
    ],
    { env: { PATH: process.env.PATH ?? "", DATABASE_URL: database.url } },
  );
  return stdout.trim().split("\n").at(-1) as string;
}

export type Vuln = { id: string; pkg: string; severity: string; fixed?: string | null; cvss?: number };

/** A generated `trivy image -f json` report (SchemaVersion 2, Debian 12) with these vulnerabilities. */
export function report(artifactName: string, vulns: Vuln[]): string {
  return JSON.stringify({
    SchemaVersion: 2,
    CreatedAt: "2026-11-30T09:00:00Z",
    ArtifactName: artifactName,
    ArtifactType: "container_image",
    Metadata: { OS: { Family: "debian", Name: "12.8" } },
    Results: [
      {
        Target: `${artifactName} (debian 12.8)`,
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: vulns.map((v) => ({
          VulnerabilityID: v.id,
          PkgName: v.pkg,
          InstalledVersion: "1.2.3-1",
          ...(v.fixed === null ? {} : { FixedVersion: v.fixed ?? "1.2.3-2" }),
          Status: v.fixed === null ? "affected" : "fixed",
          Severity: v.severity,
          Title: `${v.pkg}: a flaw`,
          Description: `A flaw in ${v.pkg} lets a remote attacker crash it.`,
          ...(v.cvss === undefined ? {} : { CVSS: { nvd: { V3Score: v.cvss } } }),
        })),
      },
    ],
  });
}
