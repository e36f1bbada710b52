import { readFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";

const SPEC = new URL("../../../apps/api/openapi.json", import.meta.url);
export const SCHEMA_FILE = new URL("../src/schema.ts", import.meta.url);

const HEADER =
  "// Generated from apps/api/openapi.json by openapi-typescript (`npm run openapi`); do not edit.\n" +
  "// A test fails when this file and the document differ.\n\n";

/** The client's types as openapi-typescript writes them from the committed OpenAPI document. */
export async function renderClientSchema(): Promise<string> {
  const document = JSON.parse(readFileSync(SPEC, "utf8"));
  return HEADER + astToString(await openapiTS(document));
}
