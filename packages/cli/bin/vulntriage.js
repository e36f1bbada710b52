#!/usr/bin/env node
// Committed so npm links the bin at install time, before dist/ is built.
import { existsSync } from "node:fs";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("vulntriage: dist/main.js is missing; run `npm run build` first\n");
  process.exit(3);
}
await import(main.href);
