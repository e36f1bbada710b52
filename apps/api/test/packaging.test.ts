import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "@vulntriage/test-utils";
import { describe, expect, it } from "vitest";

const DEV_TOOLING = [
  "vitest",
  "typescript",
  "tsx",
  "@biomejs/biome",
  "turbo",
  "knip",
  "drizzle-kit",
  "autocannon",
  "esbuild",
  "@types/node",
  "openapi-typescript",
  "@hey-api/openapi-ts",
  "@redocly/cli",
  "@stoplight/spectral-cli",
];

const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const runtimeStage = dockerfile.slice(dockerfile.indexOf(" AS runtime"));

/**
 * What the Dockerfile's runtime stage installs: the files it copies before its `npm ci`, then that
 * very command, offline from npm's cache (CI's `npm ci` filled it), in a scratch directory.
 */
function productionPackages(): Set<string> {
  const install = runtimeStage.match(/^RUN (npm ci [^&\n]+)/m)?.[1]?.trim();
  if (!install) throw new Error("the Dockerfile's runtime stage has no `RUN npm ci` line");
  const dir = mkdtempSync(join(tmpdir(), "vt-runtime-"));
  try {
    const before = runtimeStage.slice(0, runtimeStage.indexOf(install));
    for (const [, sources] of before.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const file of (sources as string).split(/\s+/)) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        copyFileSync(join(REPO_ROOT, file), join(dir, file));
      }
    }
    const [command, ...args] = install.split(/\s+/);
    execFileSync(command as string, [...args, "--offline", "--ignore-scripts"], {
      cwd: dir,
      stdio: "ignore",
    });
    const installed = new Set<string>();
    const modules = join(dir, "node_modules");
    for (const name of readdirSync(modules)) {
      if (!name.startsWith("@")) installed.add(name);
      else for (const scoped of readdirSync(join(modules, name))) installed.add(`${name}/${scoped}`);
    }
    return installed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the production install", () => {
  it("should hold the runtime's dependencies and none of the build, test or lint tooling", () => {
    const installed = productionPackages();
    for (const runtime of [
      "fastify",
      "pg",
      "bullmq",
      "drizzle-orm",
      "ollama",
      "pino",
      "prom-client",
      "@bull-board/api",
      "@bull-board/fastify",
      "@bull-board/ui",
    ]) {
      expect(installed, runtime).toContain(runtime);
    }
    for (const tool of DEV_TOOLING) expect(installed, tool).not.toContain(tool);
  });

  it("should start every service with plain node on compiled JavaScript", () => {
    for (const app of ["apps/api", "apps/worker"]) {
      const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, app, "package.json"), "utf8"));
      expect(scripts.start).toMatch(/^node dist\/\S+\.js$/);
    }
    expect(runtimeStage).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).not.toMatch(/--import tsx|npx tsx|"tsx"/);
  });
});
