import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderClientSchema, SCHEMA_FILE } from "../scripts/schema.js";

describe("src/schema.ts", () => {
  it("should be what openapi-typescript writes from apps/api/openapi.json (run `npm run openapi`)", async () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(await renderClientSchema());
  });
});
