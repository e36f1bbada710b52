import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderOpenApi } from "../src/openapi.js";

describe("openapi.json", () => {
  it("should match what the code describes (run `npm run openapi` after changing a route)", async () => {
    const committed = readFileSync(new URL("../openapi.json", import.meta.url), "utf8");
    expect(JSON.parse(await renderOpenApi())).toEqual(JSON.parse(committed));
  });

  it("should give every API operation an operationId, tags and an error response", async () => {
    const document = JSON.parse(await renderOpenApi());
    const operations = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(
      ([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    const api = operations.filter((o) => o.path.startsWith("/api/") || o.path === "/health");
    expect(api.length).toBeGreaterThanOrEqual(6);
    for (const { path, method, operation } of api) {
      expect(operation.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      expect(
        Object.keys(operation.responses).some((status) => Number(status) >= 400),
        `${method} ${path}`,
      ).toBe(true);
    }
  });
});
