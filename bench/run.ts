import { cpus } from "node:os";
import { benchAnalysis } from "./analysis.js";
import { benchEnrichment } from "./enrichment.js";
import { benchIngest } from "./ingest.js";
import { benchOverload } from "./overload.js";

// Benchmarks compare against a baseline measured in the same run on the same machine: read ratios.
console.log(
  `# vulntriage benchmarks — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`,
);
const only = process.argv[2];
if (!only || only === "ingest") await benchIngest();
if (!only || only === "analysis") await benchAnalysis();
if (!only || only === "enrichment") await benchEnrichment();
if (!only || only === "overload") await benchOverload();
