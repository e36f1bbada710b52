import { defineConfig } from "vitest/config";

// Tests run the workspace packages' TypeScript sources (the "@vulntriage/source" export condition),
// never a stale dist/. The rest are Vitest's own defaults for Node; globalSetup resolves in the
// `__vitest__` environment, tests in `ssr`.
const conditions = ["@vulntriage/source", "node", "development|production"];

export default defineConfig({
  ssr: { resolve: { conditions, externalConditions: conditions } },
  environments: { __vitest__: { resolve: { conditions } } },
  test: {
    include: ["apps/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 60_000,
    globalSetup: ["packages/test-utils/src/global-setup.ts"],
    hookTimeout: 120_000,
  },
});
