import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, sep } from "node:path";
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
];

/** What `npm ci --omit=dev` installs, as the runtime stage of the Dockerfile does. */
function productionPackages(): Set<string> {
  const parseable = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  const marker = `node_modules${sep}`;
  return new Set(
    parseable
      .split("\n")
      .filter((path) => path.includes(marker))
      .map((path) => path.slice(path.lastIndexOf(marker) + marker.length)),
  );
}

describe("the production install", () => {
  it("should hold the runtime's dependencies and none of the build, test or lint tooling", () => {
    const installed = productionPackages();
    for (const runtime of ["fastify", "pg", "bullmq", "drizzle-orm", "ollama", "pino"]) {
      expect(installed, runtime).toContain(runtime);
    }
    for (const tool of DEV_TOOLING) expect(installed, tool).not.toContain(tool);
  });

  it("should start every service with plain node on compiled JavaScript", () => {
    for (const app of ["apps/api", "apps/worker"]) {
      const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, app, "package.json"), "utf8"));
      expect(scripts.start).toMatch(/^node dist\/\S+\.js$/);
    }
    const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).not.toMatch(/--import tsx|npx tsx|"tsx"/);
  });
});
