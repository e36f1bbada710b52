import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["apps/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 60_000,
    globalSetup: ["packages/test-utils/src/global-setup.ts"],
    hookTimeout: 120_000,
  },
});
