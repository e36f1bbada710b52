import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderClientSchema, SCHEMA_FILE } from "./schema.js";

writeFileSync(SCHEMA_FILE, await renderClientSchema());
console.log(`wrote ${fileURLToPath(SCHEMA_FILE)}`);
