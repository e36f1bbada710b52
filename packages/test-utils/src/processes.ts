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
